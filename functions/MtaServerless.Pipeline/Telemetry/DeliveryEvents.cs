using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Pipeline.Telemetry;

/// <summary>
/// The per-recipient events of telemetry.json (delivered, deferred, bounced, expired) and the delivery
/// latency histogram. Called once a result is written, so a run that lost its lease reports nothing.
/// Recipients appear as <see cref="RecipientAddressProtector"/> shows them; reply texts never appear.
/// </summary>
public sealed partial class DeliveryEvents : IDisposable
{
    public const string LatencyMetric = "mta.delivery.latency";

    private readonly Meter _meter = new(MtaTelemetry.PipelineMeterName);
    private readonly Histogram<double> _latency;
    private readonly RecipientAddressProtector _addresses;
    private readonly ILogger _events;

    public DeliveryEvents(RecipientAddressProtector addresses, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _addresses = addresses;
        _events = loggers.CreateLogger(MtaTelemetry.EventCategory);
        _latency = _meter.CreateHistogram<double>(LatencyMetric, unit: "s", description: "From acceptance at the edge to the next hop's 250, per recipient.");
    }

    /// <summary>A final result: delivered, bounced, or (a transient outcome after the lifetime) expired.</summary>
    /// <param name="tls">The TLS protocol of the connection that delivered, or null.</param>
    public void Completed(DeliveryTask task, string recipient, DeliveryOutcome outcome, string? tls, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(outcome);
        var protectedRecipient = _addresses.Protect(recipient);
        var (code, status, host) = Dimensions(outcome);
        if (outcome.IsSuccess)
        {
            var latency = now - task.FirstAttemptAt;
            _latency.Record(latency.TotalSeconds);
            LogDelivered(_events, task.Id, protectedRecipient, host, code, status, task.Attempt, (long)latency.TotalMilliseconds, tls ?? "none", DkimStatusNames.ToName(task.Dkim));
        }
        else if (outcome.IsTransient)
        {
            LogExpired(_events, task.Id, protectedRecipient, host, code, status, task.Attempt);
        }
        else
        {
            LogBounced(_events, task.Id, protectedRecipient, host, code, status, task.Attempt);
        }
    }

    public void Deferred(DeliveryTask task, string recipient, DeliveryOutcome outcome, DateTimeOffset nextAttempt)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(outcome);
        var (code, status, host) = Dimensions(outcome);
        LogDeferred(_events, task.Id, _addresses.Protect(recipient), host, code, status, task.Attempt, nextAttempt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The reply code is 0 when the host gave no reply (it could not be reached, or the connection broke).</summary>
    private static (int Code, string Status, string Host) Dimensions(DeliveryOutcome outcome) =>
        (outcome.IsUnanswered ? 0 : outcome.Code, outcome.Status.ToString(), outcome.Host ?? string.Empty);

    public void Dispose() => _meter.Dispose();

    [LoggerMessage(EventId = 6010, EventName = TelemetryNames.RecipientDelivered, Level = LogLevel.Information,
        Message = "Message {MessageId} delivered to {Recipient} by {RemoteHost}: {ReplyCode} {EnhancedStatusCode}, attempt {Attempt}, {LatencyMs} ms after acceptance, TLS {Tls}, DKIM {Dkim}")]
    private static partial void LogDelivered(ILogger logger, string messageId, string recipient, string remoteHost, int replyCode, string enhancedStatusCode, int attempt, long latencyMs, string tls, string dkim);

    [LoggerMessage(EventId = 6011, EventName = TelemetryNames.RecipientDeferred, Level = LogLevel.Information,
        Message = "Message {MessageId} for {Recipient} deferred by {RemoteHost}: {ReplyCode} {EnhancedStatusCode}, attempt {Attempt}, next at {NextAttemptUtc}")]
    private static partial void LogDeferred(ILogger logger, string messageId, string recipient, string remoteHost, int replyCode, string enhancedStatusCode, int attempt, string nextAttemptUtc);

    [LoggerMessage(EventId = 6012, EventName = TelemetryNames.RecipientBounced, Level = LogLevel.Information,
        Message = "Message {MessageId} for {Recipient} bounced by {RemoteHost}: {ReplyCode} {EnhancedStatusCode}, attempt {Attempt}")]
    private static partial void LogBounced(ILogger logger, string messageId, string recipient, string remoteHost, int replyCode, string enhancedStatusCode, int attempt);

    [LoggerMessage(EventId = 6013, EventName = TelemetryNames.RecipientExpired, Level = LogLevel.Information,
        Message = "Message {MessageId} for {Recipient} expired after {Attempt} attempts, last {RemoteHost}: {ReplyCode} {EnhancedStatusCode}")]
    private static partial void LogExpired(ILogger logger, string messageId, string recipient, string remoteHost, int replyCode, string enhancedStatusCode, int attempt);
}
