using System.Net;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Limits;
using MtaServerless.Edge.Telemetry;
using MtaServerless.Edge.Tls;

namespace MtaServerless.Edge.Sessions;

/// <summary>What every session of one edge shares.</summary>
internal sealed class SmtpServerContext(
    EdgeOptions options,
    IMessageSpool spool,
    RouteCatalog routes,
    UserDirectory users,
    TlsCertificateProvider tls,
    TimeProvider time,
    EdgeTelemetry telemetry,
    ILogger logger)
{
    private readonly IPNetwork[] _trusted = [.. options.TrustedNetworks.Select(n => IPNetwork.Parse(n))];
    private readonly IPNetwork[] _proxies = [.. options.ProxyNetworks.Select(n => IPNetwork.Parse(n))];

    public EdgeOptions Options { get; } = options;

    public IMessageSpool Spool { get; } = spool;

    public RouteCatalog Routes { get; } = routes;

    public UserDirectory Users { get; } = users;

    public TlsCertificateProvider Tls { get; } = tls;

    public TimeProvider Time { get; } = time;

    public EdgeTelemetry Telemetry { get; } = telemetry;

    public AuthThrottle AuthThrottle { get; } = new(options.Limits, time);

    public SendingLimits SendingLimits { get; } = new(options.Limits, time);

    public Postmaster Postmaster { get; } = new(options);

    public ILogger Logger { get; } = logger;

    public bool IsTrusted(IPAddress client) => Contains(_trusted, client);

    /// <summary>Whether this peer may speak for a client in a PROXY protocol header.</summary>
    public bool IsProxy(IPAddress peer) => Contains(_proxies, peer);

    private static bool Contains(IPNetwork[] networks, IPAddress address)
    {
        var unmapped = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return networks.Any(n => n.Contains(unmapped));
    }
}
