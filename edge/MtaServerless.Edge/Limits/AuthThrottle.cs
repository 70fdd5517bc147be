using System.Net;
using System.Net.Sockets;

namespace MtaServerless.Edge.Limits;

/// <summary>Which count of failed logins a client ran into.</summary>
internal enum AuthThrottleScope
{
    None,

    /// <summary>The client's address (an IPv6 client's /64): it may not try again for a while, whatever the account.</summary>
    Address,

    /// <summary>An account many clients guess at: it may not log in for a while, from anywhere.</summary>
    Account,
}

/// <summary>
/// Failed logins across connections, in this edge's memory: a client that reconnects after each refusal still
/// runs into its address's count, and a password sprayed from many addresses into the account's. A throttled
/// attempt costs no password hash. Only accounts that exist are counted, so made-up names cannot crowd them out.
/// </summary>
internal sealed class AuthThrottle(EdgeLimitOptions limits, TimeProvider time)
{
    // Enough for a botnet's worth of addresses within one window at a few hundred bytes each.
    private const int Capacity = 100_000;

    private readonly RollingCounter<IPAddress> _addresses = new(limits.AuthFailureWindow, Capacity, time);
    private readonly RollingCounter<string> _accounts = new(limits.AuthFailureWindow, Capacity, time);

    public bool IsThrottled(IPAddress client) => _addresses.Count(KeyOf(client)) >= limits.MaxAuthFailuresPerAddress;

    /// <param name="account">The account's normalized name.</param>
    public bool IsThrottled(string account) => _accounts.Count(account) >= limits.MaxAuthFailuresPerAccount;

    /// <param name="account">The existing account the client failed to log in to, or null for an unknown name.</param>
    /// <returns>The scope this failure has just throttled, so that it is reported once, not at every refusal after it.</returns>
    public AuthThrottleScope RecordFailure(IPAddress client, string? account)
    {
        var scope = _addresses.Add(KeyOf(client)) == limits.MaxAuthFailuresPerAddress ? AuthThrottleScope.Address : AuthThrottleScope.None;
        if (account is not null && _accounts.Add(account) == limits.MaxAuthFailuresPerAccount)
        {
            scope = AuthThrottleScope.Account;
        }

        return scope;
    }

    /// <summary>The key a client is counted under: an IPv6 client gets a /64 from its provider, and could otherwise rotate through it.</summary>
    public static IPAddress KeyOf(IPAddress client)
    {
        if (client.AddressFamily != AddressFamily.InterNetworkV6 || client.IsIPv4MappedToIPv6)
        {
            return client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        }

        var bytes = client.GetAddressBytes();
        bytes.AsSpan(8).Clear();
        return new IPAddress(bytes);
    }
}
