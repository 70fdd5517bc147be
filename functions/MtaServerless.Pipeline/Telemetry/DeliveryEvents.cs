using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Deliver;

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

    /// <summary>A final result: delivered, bounced, or (a transient reply after the lifetime) expired.</summary>
    public void Completed(DeliveryTask task, RecipientOutcome outcome, RelayResult result, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(result);
        var status = ReplyStatus.Parse(outcome.Code, outcome.Reply);
        var recipient = _addresses.Protect(outcome.Recipient);
        if (outcome.IsSuccess)
        {
            var latency = now - task.FirstAttemptAt;
            _latency.Record(latency.TotalSeconds);
            LogDelivered(_events, task.Id, recipient, result.RemoteHost, status.Code, status.EnhancedCode, task.Attempt, (long)latency.TotalMilliseconds, result.Tls ?? "none");
        }
        else if (outcome.IsTransient)
        {
            LogExpired(_events, task.Id, recipient, result.RemoteHost, status.Code, status.EnhancedCode, task.Attempt);
        }
        else
        {
            LogBounced(_events, task.Id, recipient, result.RemoteHost, status.Code, status.EnhancedCode, task.Attempt);
        }
    }

    public void Deferred(DeliveryTask task, string recipient, string reply, string remoteHost, DateTimeOffset nextAttempt)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reply);
        var status = ReplyStatus.Parse(reply);
        LogDeferred(_events, task.Id, _addresses.Protect(recipient), remoteHost, status.Code, status.EnhancedCode, task.Attempt, nextAttempt.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    public void Dispose() => _meter.Dispose();

    [LoggerMessage(EventId = 6010, EventName = TelemetryNames.RecipientDelivered, Level = LogLevel.Information,
        Message = "Message {MessageId} delivered to {Recipient} by {RemoteHost}: {ReplyCode} {EnhancedStatusCode}, attempt {Attempt}, {LatencyMs} ms after acceptance, TLS {Tls}")]
    private static partial void LogDelivered(ILogger logger, string messageId, string recipient, string remoteHost, int replyCode, string enhancedStatusCode, int attempt, long latencyMs, string tls);

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
