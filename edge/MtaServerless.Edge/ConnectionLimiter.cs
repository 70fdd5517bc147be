using System.Net;

namespace MtaServerless.Edge;

/// <summary>Counts open connections in total and per client address, so one client cannot take every session.</summary>
internal sealed class ConnectionLimiter(int maxTotal, int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private int _total;

    public bool TryAcquire(IPAddress address)
    {
        lock (_lock)
        {
            var current = _perAddress.GetValueOrDefault(address);
            if (_total >= maxTotal || current >= maxPerAddress)
            {
                return false;
            }

            _total++;
            _perAddress[address] = current + 1;
            return true;
        }
    }

    public void Release(IPAddress address)
    {
        lock (_lock)
        {
            _total--;
            var left = _perAddress.GetValueOrDefault(address) - 1;
            if (left <= 0)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address] = left;
            }
        }
    }
}
