namespace MtaServerless.Core.Telemetry;

/// <summary>
/// The names of <c>bicep/monitoring/telemetry.json</c>, the contract the workbook and the alerts query.
/// Dimension names are the placeholders of the event templates and the tag keys of the metrics.
/// </summary>
public static class TelemetryNames
{
    public const string MessageAccepted = "mta.message.accepted";
    public const string MessageAuthenticated = "mta.message.authenticated";
    public const string RecipientDelivered = "mta.recipient.delivered";
    public const string RecipientDeferred = "mta.recipient.deferred";
    public const string RecipientBounced = "mta.recipient.bounced";
    public const string RecipientExpired = "mta.recipient.expired";
    public const string RecipientRedriven = "mta.recipient.redriven";
    public const string AuthThrottled = "mta.auth.throttled";
    public const string UserLimitReached = "mta.user.limit_reached";

    public const string QueueDepth = "mta.queue.depth";
    public const string QueueOldestAge = "mta.queue.oldest_age";
    public const string EdgeConnectionsActive = "mta.edge.connections.active";

    public const string ListenerDimension = "Listener";
    public const string QueueDimension = "Queue";
}
