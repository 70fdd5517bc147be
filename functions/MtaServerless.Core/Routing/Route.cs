using System.Text.Json.Serialization;

namespace MtaServerless.Core.Routing;

/// <summary>What the <c>routes</c> table says to do with mail for a domain pattern.</summary>
/// <param name="Pattern">An exact domain (<c>example.com</c>), a wildcard for its subdomains (<c>*.example.com</c>), or <c>*</c>.</param>
/// <param name="AcceptsInbound">True when anyone may send mail for these domains (MX role); false when only authenticated or trusted clients may relay through it.</param>
/// <param name="CredentialRef">The name of a secret in configuration or Key Vault; never the secret itself.</param>
/// <param name="VerifyCertificate">True to require a certificate that chains to a trusted root and names the host; otherwise TLS only encrypts.</param>
/// <param name="DmarcPolicy">What a DMARC failure does to mail received for these domains.</param>
public sealed record Route(
    string Pattern,
    RouteAction Action,
    string? Host = null,
    int Port = 25,
    TlsMode Tls = TlsMode.Opportunistic,
    bool AcceptsInbound = false,
    string? CredentialRef = null,
    string? RejectText = null,
    bool VerifyCertificate = false,
    DmarcPolicy DmarcPolicy = DmarcPolicy.HeadersOnly);

[JsonConverter(typeof(JsonStringEnumConverter<RouteAction>))]
public enum RouteAction
{
    [JsonStringEnumMemberName("mx")]
    Mx,

    [JsonStringEnumMemberName("smarthost")]
    Smarthost,

    [JsonStringEnumMemberName("mailbox")]
    Mailbox,

    [JsonStringEnumMemberName("reject")]
    Reject,
}

[JsonConverter(typeof(JsonStringEnumConverter<TlsMode>))]
public enum TlsMode
{
    [JsonStringEnumMemberName("none")]
    None,

    [JsonStringEnumMemberName("opportunistic")]
    Opportunistic,

    [JsonStringEnumMemberName("required")]
    Required,

    [JsonStringEnumMemberName("implicit")]
    Implicit,
}

/// <summary>What a route does with received mail that fails DMARC when its <c>From:</c> domain asks for reject or quarantine.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DmarcPolicy>))]
public enum DmarcPolicy
{
    /// <summary>Delivered as any other message; only the <c>Authentication-Results:</c> field tells.</summary>
    [JsonStringEnumMemberName("headers-only")]
    HeadersOnly,

    /// <summary>Stored in the <c>quarantine</c> container instead of delivered; no DSN, so a forged sender gets no backscatter.</summary>
    [JsonStringEnumMemberName("enforce")]
    Enforce,
}
