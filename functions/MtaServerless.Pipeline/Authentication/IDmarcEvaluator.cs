using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>DMARC (DMARCbis): the policy found by the DNS tree walk, and SPF and DKIM identifiers aligned with the <c>From:</c> domain.</summary>
public interface IDmarcEvaluator
{
    /// <summary>Never throws for DNS trouble: a timeout is <see cref="AuthVerdict.TempError"/>.</summary>
    /// <param name="fromDomain">The domain of the single author address in <c>From:</c> (RFC 5322); the caller decides what a message without one is.</param>
    Task<DmarcResult> EvaluateAsync(string fromDomain, SpfResult spf, IReadOnlyList<DkimResult> dkim, CancellationToken cancellationToken);
}

/// <param name="Verdict">none (no policy record), pass, fail, temperror or permerror.</param>
/// <param name="Policy">What the domain owner asks for a failing message (<c>p=</c>, <c>sp=</c> or <c>np=</c> as applies); <see cref="DmarcRequest.None"/> unless <paramref name="Verdict"/> is fail.</param>
/// <param name="PolicyDomain">The domain whose record applied (the From domain or one found by the tree walk); null when none.</param>
public sealed record DmarcResult(AuthVerdict Verdict, string FromDomain, DmarcRequest Policy, string? PolicyDomain, string? Reason = null);

/// <summary>A DMARC record's requested handling of failing mail.</summary>
public enum DmarcRequest
{
    None,
    Quarantine,
    Reject,
}
