using System.Net;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>One place to try: a host name (for TLS and logs) and, when DNS already gave it, the address to connect to.</summary>
public sealed record NextHop(string Name, int Port, IPAddress? Address = null)
{
    public override string ToString() => Address is null ? $"{Name}:{Port}" : $"{Name}[{Address}]:{Port}";
}
