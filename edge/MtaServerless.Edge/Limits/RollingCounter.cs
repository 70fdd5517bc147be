namespace MtaServerless.Edge.Limits;

/// <summary>
/// Counts events per key over a rolling window, in this edge's memory. The window is cut into twelve slices and
/// an event stops counting once its slice has left the window, so a count is exact to a twelfth of the window:
/// never more than the events of the last window, never fewer than those of its last eleven twelfths.
/// </summary>
/// <remarks>
/// Every call is a few array operations under one lock, cheap enough for a session's event thread. The number of
/// keys is bounded: when it is reached, keys whose window is empty are dropped, and while every key is still
/// active a new one is not tracked (its count stays 0) rather than letting memory grow with an attacker's addresses.
/// </remarks>
internal sealed class RollingCounter<TKey>(TimeSpan window, int capacity, TimeProvider time)
    where TKey : notnull
{
    private const int Slices = 12;

    private readonly Dictionary<TKey, Slots> _counts = [];
    private readonly long _sliceTicks = Math.Max(1, window.Ticks / Slices);
    private readonly Lock _lock = new();

    public int Count(TKey key)
    {
        var now = CurrentSlice();
        lock (_lock)
        {
            return _counts.TryGetValue(key, out var slots) ? slots.Sum(now) : 0;
        }
    }

    /// <returns>The count after adding, 0 when the key could not be tracked.</returns>
    public int Add(TKey key, int amount = 1)
    {
        var now = CurrentSlice();
        lock (_lock)
        {
            if (!_counts.TryGetValue(key, out var slots))
            {
                if (_counts.Count >= capacity && !TryMakeRoom(now))
                {
                    return 0;
                }

                _counts[key] = slots = new Slots();
            }

            slots.Add(now, amount);
            return slots.Sum(now);
        }
    }

    private long CurrentSlice() => time.GetUtcNow().UtcTicks / _sliceTicks;

    private bool TryMakeRoom(long now)
    {
        foreach (var (key, slots) in _counts)
        {
            if (slots.Newest <= now - Slices)
            {
                _counts.Remove(key);
            }
        }

        return _counts.Count < capacity;
    }

    private sealed class Slots
    {
        private readonly long[] _ids = new long[Slices];
        private readonly int[] _counts = new int[Slices];

        public long Newest { get; private set; }

        public void Add(long slice, int amount)
        {
            var index = (int)(slice % Slices);
            if (_ids[index] != slice)
            {
                _ids[index] = slice;
                _counts[index] = 0;
            }

            _counts[index] += amount;
            Newest = slice;
        }

        public int Sum(long now)
        {
            var sum = 0;
            for (var i = 0; i < Slices; i++)
            {
                if (_ids[i] > now - Slices)
                {
                    sum += _counts[i];
                }
            }

            return sum;
        }
    }
}
