using Azure;
using Azure.Data.Tables;

namespace MtaServerless.Core.Routing;

/// <summary>A row of the <c>routes</c> table: one partition, the domain pattern as row key.</summary>
public sealed class RouteEntity : ITableEntity
{
    public const string Partition = "route";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Action { get; set; } = string.Empty;

    public string? Host { get; set; }

    public int? Port { get; set; }

    public string? Tls { get; set; }

    public bool AcceptsInbound { get; set; }

    public string? CredentialRef { get; set; }

    public string? RejectText { get; set; }

    /// <summary><c>headers-only</c> (also when null, as in rows older than the property) or <c>enforce</c>.</summary>
    public string? DmarcPolicy { get; set; }

    /// <summary>Null: verified when the route sends a credential (a password must only go to the host it is meant for), not otherwise.</summary>
    public bool? VerifyCertificate { get; set; }

    public static RouteEntity FromRoute(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return new RouteEntity
        {
            RowKey = RouteTable.NormalizePattern(route.Pattern),
            Action = RouteNames.ToName(route.Action),
            Host = route.Host,
            Port = route.Port,
            Tls = RouteNames.ToName(route.Tls),
            AcceptsInbound = route.AcceptsInbound,
            CredentialRef = route.CredentialRef,
            RejectText = route.RejectText,
            VerifyCertificate = route.VerifyCertificate,
            DmarcPolicy = RouteNames.ToName(route.DmarcPolicy),
        };
    }

    /// <exception cref="FormatException">The row names an unknown action, TLS mode or DMARC policy, or a smarthost without a host.</exception>
    public Route ToRoute()
    {
        var action = RouteNames.ParseAction(Action, RowKey);
        if (action == RouteAction.Smarthost && string.IsNullOrWhiteSpace(Host))
        {
            throw new FormatException($"Route '{RowKey}' is a smarthost route without a host.");
        }

        var tls = Tls is null ? TlsMode.Opportunistic : RouteNames.ParseTls(Tls, RowKey);
        var dmarc = DmarcPolicy is null ? Routing.DmarcPolicy.HeadersOnly : RouteNames.ParseDmarcPolicy(DmarcPolicy, RowKey);
        return new Route(RowKey, action, Host, Port ?? DefaultPort(tls), tls, AcceptsInbound, CredentialRef, RejectText, VerifiesCertificate(), dmarc);
    }

    public bool VerifiesCertificate() => VerifyCertificate ?? CredentialRef is { Length: > 0 };

    private static int DefaultPort(TlsMode tls) => tls == TlsMode.Implicit ? 465 : 25;
}

/// <summary>The lower-case names that rows, documents and the CLI use for route enums.</summary>
public static class RouteNames
{
    public static string ToName(RouteAction action) => action.ToString().ToLowerInvariant();

    public static string ToName(TlsMode tls) => tls.ToString().ToLowerInvariant();

    public static string ToName(DmarcPolicy policy) => policy switch
    {
        DmarcPolicy.HeadersOnly => "headers-only",
        DmarcPolicy.Enforce => "enforce",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, null),
    };

    public static RouteAction ParseAction(string value, string pattern) =>
        Enum.TryParse<RouteAction>(value, ignoreCase: true, out var action) && Enum.IsDefined(action)
            ? action
            : throw new FormatException($"Route '{pattern}' has unknown action '{value}' (expected mx, smarthost, mailbox or reject).");

    public static TlsMode ParseTls(string value, string pattern) =>
        Enum.TryParse<TlsMode>(value, ignoreCase: true, out var tls) && Enum.IsDefined(tls)
            ? tls
            : throw new FormatException($"Route '{pattern}' has unknown TLS mode '{value}' (expected none, opportunistic, required or implicit).");

    public static DmarcPolicy ParseDmarcPolicy(string value, string pattern) => value.ToLowerInvariant() switch
    {
        "headers-only" => Routing.DmarcPolicy.HeadersOnly,
        "enforce" => Routing.DmarcPolicy.Enforce,
        _ => throw new FormatException($"Route '{pattern}' has unknown DMARC policy '{value}' (expected headers-only or enforce)."),
    };
}
