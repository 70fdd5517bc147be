using MimeKit;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>Every DKIM signature of a received message (RFC 6376) and its ARC chain (RFC 8617), with keys from DNS.</summary>
public interface ISignatureVerifier
{
    /// <summary>Never throws for DNS trouble or a malformed signature: those are results.</summary>
    Task<SignatureResults> VerifyAsync(MimeMessage message, CancellationToken cancellationToken);
}

/// <param name="Dkim">
/// One per <c>DKIM-Signature</c> field, in the message's order, up to <see cref="SignatureVerifier.MaxSignatures"/>; then one
/// <c>policy</c> result for all the others; empty when there is none (dkim=none).
/// </param>
public sealed record SignatureResults(IReadOnlyList<DkimResult> Dkim, ArcResult Arc);

/// <summary>One signature's result, with the RFC 8601 properties <c>header.d</c>, <c>header.s</c> and <c>header.b</c>.</summary>
/// <param name="Verdict">pass, fail, neutral (a signature that cannot be checked as written), temperror or permerror.</param>
/// <param name="SignatureStart">The first 8 characters of <c>b=</c> (RFC 6008), telling two signatures of one domain apart.</param>
public sealed record DkimResult(AuthVerdict Verdict, string Domain, string Selector, string SignatureStart, string? Reason = null);

/// <param name="Verdict">none (no ARC sets), pass or fail.</param>
/// <param name="Instances">The highest ARC instance (i=) seen; 0 for none.</param>
public sealed record ArcResult(AuthVerdict Verdict, int Instances, string? Reason = null);
