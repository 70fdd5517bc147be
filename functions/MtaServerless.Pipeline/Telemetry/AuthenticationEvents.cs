using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Authentication;

namespace MtaServerless.Pipeline.Telemetry;

/// <summary>
/// The event of telemetry.json for each message from elsewhere that Ingest checked: the verdicts, the <c>From:</c>
/// domain, what that domain's DMARC record asks, what the routes did, and whether we sealed it. It names no address.
/// </summary>
public sealed partial class AuthenticationEvents
{
    private readonly ILogger _events;

    public AuthenticationEvents(ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _events = loggers.CreateLogger(MtaTelemetry.EventCategory);
    }

    /// <param name="action">delivered (no recipient quarantined), quarantined (all of them) or mixed.</param>
    public void Authenticated(string messageId, InboundAuthentication results, string action, ArcSealStatus arcSeal)
    {
        ArgumentNullException.ThrowIfNull(results);
        LogAuthenticated(
            _events,
            messageId,
            Name(results.Spf.Verdict),
            Name(results.BestDkim),
            Name(results.Dmarc.Verdict),
            Name(results.Signatures.Arc.Verdict),
            results.Dmarc.FromDomain,
            results.Dmarc.Policy.ToString().ToLowerInvariant(),
            action,
            ArcSealStatusNames.ToName(arcSeal));
    }

    private static string Name(AuthVerdict verdict) => verdict.ToString().ToLowerInvariant();

    [LoggerMessage(EventId = 3770, EventName = TelemetryNames.MessageAuthenticated, Level = LogLevel.Information,
        Message = "Message {MessageId} authenticated: SPF {Spf}, DKIM {Dkim}, DMARC {Dmarc}, ARC {Arc}, From domain {FromDomain}, DMARC policy {DmarcPolicy}, {Action}, ARC seal {ArcSeal}")]
    private static partial void LogAuthenticated(ILogger logger, string messageId, string spf, string dkim, string dmarc, string arc, string fromDomain, string dmarcPolicy, string action, string arcSeal);
}
