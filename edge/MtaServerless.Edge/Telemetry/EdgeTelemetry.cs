using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;
using MtaServerless.Edge.Limits;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Sessions;

namespace MtaServerless.Edge.Telemetry;

/// <summary>
/// The edge's spans, metrics and events. A session is a span of its own; each transaction that
/// reaches end-of-data starts a new trace (one message, one trace) linked to its session's span.
/// The meter lives as long as the edge service, so the connections gauge stops with it.
/// </summary>
internal sealed class EdgeTelemetry : IDisposable
{
    private readonly Meter _meter = new(MtaTelemetry.EdgeMeterName);
    private readonly Dictionary<string, StrongBox<int>> _active;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _acceptDuration;
    private readonly ILogger _events;

    public EdgeTelemetry(IEnumerable<string> listeners, ILoggerFactory loggers)
    {
        _active = listeners.Distinct(StringComparer.Ordinal).ToDictionary(l => l, _ => new StrongBox<int>(), StringComparer.Ordinal);
        _events = loggers.CreateLogger(MtaTelemetry.EventCategory);

        // Observed at every export, idle or not: the edge's heartbeat in the contract.
        _meter.CreateObservableGauge(TelemetryNames.EdgeConnectionsActive, ObserveActive, unit: "{connection}", description: "Open SMTP sessions per listener.");
        _accepted = _meter.CreateCounter<long>(EdgeMetricNames.MessagesAccepted, unit: "{message}", description: "Messages answered 250 at end-of-data.");
        _rejected = _meter.CreateCounter<long>(EdgeMetricNames.MessagesRejected, unit: "{message}", description: "Messages refused at end-of-data, by reply code.");
        _bytes = _meter.CreateCounter<long>(EdgeMetricNames.BytesAccepted, unit: "By", description: "Size of accepted messages after dot-unstuffing.");
        _acceptDuration = _meter.CreateHistogram<double>(EdgeMetricNames.AcceptDuration, unit: "s", description: "From end-of-data to the 250 reply: the spool commit.");
    }

    public void ConnectionOpened(string listener) => Interlocked.Increment(ref _active[listener].Value);

    public void ConnectionClosed(string listener) => Interlocked.Decrement(ref _active[listener].Value);

    public static Activity? StartSession(SmtpSession session)
    {
        // A session is its own root: the messages it carries are traces of their own.
        Activity.Current = null;
        return MtaTelemetry.Edge.StartActivity("smtp.session", ActivityKind.Server)?
            .SetTag("client.address", session.ClientAddress.ToString())
            .SetTag("mta.listener", session.Listener.Name)
            .SetTag("mta.listener.role", session.Listener.Role.ToString().ToLowerInvariant());
    }

    /// <summary>The session's outcome, on its span as it ends: never the user name, only whether there was one.</summary>
    public static void EndSession(Activity? span, SmtpSession session) =>
        span?.SetTag("smtp.tls", session.TlsProtocol)
            .SetTag("smtp.authenticated", session.AuthUser is not null)
            .SetTag("smtp.errors", session.Errors)
            .SetTag("smtp.reply_code", session.LastReplyCode);

    /// <summary>Starts the transaction's span at its MAIL command, as the root of the message's trace.</summary>
    public static Activity? StartTransaction(SmtpSession session, string messageId, DateTimeOffset startedAt)
    {
        var links = session.Span is { } span ? new[] { new ActivityLink(span.Context) } : null;
        Activity.Current = null;
        return MtaTelemetry.Edge.StartActivity(MtaTelemetry.AcceptSpan, ActivityKind.Server, parentContext: default, links: links, startTime: startedAt)?
            .SetTag(MtaTelemetry.MessageIdTag, messageId)
            .SetTag("client.address", session.ClientAddress.ToString())
            .SetTag("mta.listener", session.Listener.Name)
            .SetTag("mta.listener.role", session.Listener.Role.ToString().ToLowerInvariant())
            .SetTag("smtp.tls", session.TlsProtocol)
            .SetTag("smtp.authenticated", session.AuthUser is not null);
    }

    public void Accepted(Activity? span, SmtpSession session, string messageId, int recipients, long size, TimeSpan commitDuration)
    {
        var listener = new KeyValuePair<string, object?>(TelemetryNames.ListenerDimension, session.Listener.Name);
        _accepted.Add(1, listener);
        _bytes.Add(size, listener);
        _acceptDuration.Record(commitDuration.TotalSeconds, listener);
        span?.SetTag("smtp.reply_code", 250).SetTag("mta.recipients", recipients).SetTag("mta.size_bytes", size);
        EdgeEvents.MessageAccepted(_events, messageId, session.Listener.Name, recipients, size, session.TlsProtocol, session.AuthUser is not null);
    }

    public void Rejected(Activity? span, SmtpSession session, SmtpReply reply)
    {
        _rejected.Add(1, new(TelemetryNames.ListenerDimension, session.Listener.Name), new(EdgeMetricNames.ReplyCodeDimension, reply.Code));
        span?.SetTag("smtp.reply_code", reply.Code).SetStatus(ActivityStatusCode.Error, reply.Code.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A client address or an account has just run into its count of failed logins.</summary>
    public void AuthThrottled(SmtpSession session, AuthThrottleScope scope, string key) =>
        EdgeEvents.AuthThrottled(_events, scope == AuthThrottleScope.Address ? "address" : "account", key, session.ClientAddress.ToString(), session.Listener.Name);

    /// <summary>A user has just been refused by a sending limit (reported once an hour per user and limit, not at each refusal).</summary>
    public void UserLimitReached(SmtpSession session, string user, SendingLimit limit, int value) =>
        EdgeEvents.UserLimitReached(_events, user, limit.ToString(), value, session.Listener.Name);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<int>> ObserveActive() =>
        _active.Select(l => new Measurement<int>(Volatile.Read(ref l.Value.Value), new KeyValuePair<string, object?>(TelemetryNames.ListenerDimension, l.Key)));
}
