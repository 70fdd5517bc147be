using System.Net;
using System.Net.Sockets;

namespace MtaServerless.Tests.Delivery;

/// <summary>A theory that needs ::1, skipped (not passed) on a machine whose loopback has no IPv6.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IPv6LoopbackTheoryAttribute : TheoryAttribute
{
    public IPv6LoopbackTheoryAttribute()
    {
        if (!CanBindIPv6Loopback())
        {
            Skip = "This machine has no IPv6 loopback address (::1).";
        }
    }

    private static bool CanBindIPv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
