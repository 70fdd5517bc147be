using System.Net;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>Whether two addresses share their first bits, the comparison of ip4, ip6, a and mx (RFC 7208 5.6).</summary>
internal static class AddressPrefix
{
    /// <summary>Addresses of different families never match: an IPv4 client is only compared with IPv4 networks.</summary>
    public static bool Matches(IPAddress client, IPAddress network, int ip4Prefix, int ip6Prefix)
    {
        if (client.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var prefix = client.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? ip6Prefix : ip4Prefix;
        Span<byte> left = stackalloc byte[16];
        Span<byte> right = stackalloc byte[16];
        client.TryWriteBytes(left, out _);
        network.TryWriteBytes(right, out _);
        var wholeBytes = prefix / 8;
        if (!left[..wholeBytes].SequenceEqual(right[..wholeBytes]))
        {
            return false;
        }

        var remainingBits = prefix % 8;
        var mask = (byte)(0xFF << (8 - remainingBits));
        return remainingBits == 0 || (left[wholeBytes] & mask) == (right[wholeBytes] & mask);
    }
}
