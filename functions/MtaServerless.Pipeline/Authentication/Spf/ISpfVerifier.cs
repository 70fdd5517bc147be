using System.Net;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>RFC 7208 for a message received on the MX listener.</summary>
public interface ISpfVerifier
{
    /// <summary>
    /// check_host() for the MAIL FROM identity, or for postmaster@<paramref name="helo"/> when the reverse path is null
    /// (RFC 7208 2.4). Never throws for DNS trouble: timeouts and server failures are <see cref="AuthVerdict.TempError"/>.
    /// </summary>
    /// <param name="mailFrom">The reverse path without angle brackets; empty for the null sender.</param>
    Task<SpfResult> CheckAsync(IPAddress client, string helo, string mailFrom, CancellationToken cancellationToken);
}

/// <summary>What check_host() said, and about which identity: the <c>smtp.mailfrom</c> or <c>smtp.helo</c> property of RFC 8601.</summary>
/// <param name="Verdict">none, neutral, pass, fail, softfail, temperror or permerror.</param>
/// <param name="Domain">The domain whose policy was evaluated (the MAIL FROM domain, or the HELO name).</param>
/// <param name="FromHelo">The identity was the HELO name (null reverse path).</param>
/// <param name="Reason">A short reason for the header's comment and the logs (the matching mechanism, or what went wrong).</param>
public sealed record SpfResult(AuthVerdict Verdict, string Domain, bool FromHelo, string? Reason = null);
