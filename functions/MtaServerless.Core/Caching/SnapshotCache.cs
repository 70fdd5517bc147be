namespace MtaServerless.Core.Caching;

/// <summary>
/// One immutable snapshot of a table, reloaded when it is older than the TTL. Readers never wait while the
/// snapshot is fresh, and concurrent readers of a stale one share a single reload.
/// </summary>
public sealed class SnapshotCache<T>(Func<CancellationToken, Task<T>> load, TimeProvider time, TimeSpan ttl)
    where T : class
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (T Value, DateTimeOffset LoadedAt)? _cached;

    public async ValueTask<T> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && time.GetUtcNow() - fresh.LoadedAt < ttl)
        {
            return fresh.Value;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } loaded && time.GetUtcNow() - loaded.LoadedAt < ttl)
            {
                return loaded.Value;
            }

            var value = await load(cancellationToken).ConfigureAwait(false);
            _cached = (value, time.GetUtcNow());
            return value;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
