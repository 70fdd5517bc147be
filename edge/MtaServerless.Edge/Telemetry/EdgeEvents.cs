using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Edge.Telemetry;

/// <summary>The edge's named events (telemetry.json); each placeholder is a dimension.</summary>
internal static partial class EdgeEvents
{
    [LoggerMessage(EventId = 6001, EventName = TelemetryNames.MessageAccepted, Level = LogLevel.Information,
        Message = "Message {MessageId} accepted on {Listener}: {RecipientCount} recipients, {SizeBytes} bytes, TLS {Tls}, authenticated {Authenticated}")]
    public static partial void MessageAccepted(ILogger logger, string messageId, string listener, int recipientCount, long sizeBytes, string tls, bool authenticated);

    [LoggerMessage(EventId = 6002, EventName = TelemetryNames.AuthThrottled, Level = LogLevel.Warning,
        Message = "Failed logins throttled for {Scope} {Key}, reached from {ClientAddress} on {Listener}")]
    public static partial void AuthThrottled(ILogger logger, string scope, string key, string clientAddress, string listener);

    [LoggerMessage(EventId = 6003, EventName = TelemetryNames.UserLimitReached, Level = LogLevel.Warning,
        Message = "User {User} reached {Limit} of {Value} on {Listener}")]
    public static partial void UserLimitReached(ILogger logger, string user, string limit, int value, string listener);
}
