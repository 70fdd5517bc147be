using System.Net;
using DnsClient;

namespace MtaServerless.Pipeline.Dns;

/// <summary>The DnsClient settings every lookup of ours uses: no cache (TTLs are the servers' business), one retry, TCP on truncation.</summary>
public static class DnsLookup
{
    /// <param name="nameServers">Comma-separated <c>10.0.0.53</c> or <c>127.0.0.1:5353</c>; empty for the system's resolvers.</param>
    /// <exception cref="FormatException">A name server is not an address or address:port.</exception>
    public static LookupClient Create(string nameServers, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(nameServers);
        var servers = nameServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => IPEndPoint.TryParse(s, out var endpoint)
                ? (endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint)
                : throw new FormatException($"Name server '{s}' is not an address or address:port."))
            .ToArray();
        var lookup = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookup.UseCache = false;
        lookup.Timeout = timeout;
        lookup.Retries = 1;
        lookup.ThrowDnsErrors = false;
        lookup.ContinueOnDnsError = false;
        lookup.UseTcpFallback = true;
        return new LookupClient(lookup);
    }
}
