using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Edge.Telemetry;

/// <summary>The edge's named events (telemetry.json); each placeholder is a dimension.</summary>
internal static partial class EdgeEvents
{
    [LoggerMessage(EventId = 6001, EventName = TelemetryNames.MessageAccepted, Level = LogLevel.Information,
        Message = "Message {MessageId} accepted on {Listener}: {RecipientCount} recipients, {SizeBytes} bytes, TLS {Tls}, authenticated {Authenticated}")]
    public static partial void MessageAccepted(ILogger logger, string messageId, string listener, int recipientCount, long sizeBytes, string tls, bool authenticated);
}
