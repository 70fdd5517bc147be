using MtaServerless.Core.Routing;
using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>What the checks of one message received from elsewhere found: its <c>Authentication-Results:</c> field and its event.</summary>
public sealed record InboundAuthentication(SpfResult Spf, SignatureResults Signatures, DmarcResult Dmarc)
{
    /// <summary>
    /// The message failed DMARC and what its <c>From:</c> domain asks to apply is reject or quarantine: an <c>enforce</c>
    /// route quarantines it. <c>p=none</c> (the owner only watches) never does, nor <c>p=quarantine</c> while the owner tests
    /// it (<c>t=y</c>); <c>p=reject</c> with <c>t=y</c> asks for quarantine (DMARCbis), which is what we do anyway.
    /// </summary>
    public bool DmarcFailed => Dmarc.Verdict == AuthVerdict.Fail && Dmarc.Disposition is DmarcRequest.Reject or DmarcRequest.Quarantine;

    /// <summary>The route stores the message in quarantine instead of delivering it.</summary>
    public bool QuarantinedBy(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return DmarcFailed && route.DmarcPolicy == DmarcPolicy.Enforce;
    }

    /// <summary>The best of the signatures' verdicts (pass before fail before none), for telemetry: one signature that verifies is enough for DMARC.</summary>
    public AuthVerdict BestDkim => Signatures.Dkim.Count == 0
        ? AuthVerdict.None
        : Signatures.Dkim.Select(d => d.Verdict).MinBy(Rank);

    private static int Rank(AuthVerdict verdict) => verdict switch
    {
        AuthVerdict.Pass => 0,
        AuthVerdict.TempError => 1,
        AuthVerdict.Neutral => 2,
        AuthVerdict.PermError => 3,
        AuthVerdict.Fail => 4,
        _ => 5,
    };
}
