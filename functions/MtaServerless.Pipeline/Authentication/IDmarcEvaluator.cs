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
/// <param name="Testing">The record says <c>t=y</c> (or the legacy <c>pct=0</c>): the owner is testing its policy; see <see cref="Disposition"/>.</param>
public sealed record DmarcResult(AuthVerdict Verdict, string FromDomain, DmarcRequest Policy, string? PolicyDomain, string? Reason = null, bool Testing = false)
{
    /// <summary>
    /// What a receiver applies to the message: <see cref="Policy"/>, or one level below it while the owner is testing
    /// (DMARCbis 4.7, <c>t=y</c>: reject is applied as quarantine, quarantine as none). Reports give <see cref="Policy"/>.
    /// </summary>
    public DmarcRequest Disposition => (Testing, Policy) switch
    {
        (true, DmarcRequest.Reject) => DmarcRequest.Quarantine,
        (true, _) => DmarcRequest.None,
        _ => Policy,
    };
}

/// <summary>A DMARC record's requested handling of failing mail.</summary>
public enum DmarcRequest
{
    None,
    Quarantine,
    Reject,
}
