using Microsoft.Extensions.Logging;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Pipeline.Telemetry;

/// <summary>
/// The sweeper's event of telemetry.json: one per recipient it drives again, so that lost and poisoned
/// tasks show in the workbook. Recipients appear as <see cref="RecipientAddressProtector"/> shows them.
/// </summary>
public sealed partial class SweepEvents
{
    private readonly RecipientAddressProtector _addresses;
    private readonly ILogger _events;

    public SweepEvents(RecipientAddressProtector addresses, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _addresses = addresses;
        _events = loggers.CreateLogger(MtaTelemetry.EventCategory);
    }

    public void Redriven(string messageId, DeliveryEntity record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        var due = record.DueAt();
        LogRedriven(_events, messageId, _addresses.Protect(record.Recipient), record.Status, record.Attempts, due.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture), (long)(now - due).TotalMinutes);
    }

    [LoggerMessage(EventId = 6014, EventName = TelemetryNames.RecipientRedriven, Level = LogLevel.Information,
        Message = "Message {MessageId} for {Recipient} re-driven by the sweeper: {Status} after {Attempt} attempts, due at {DueUtc}, {OverdueMinutes} minutes ago")]
    private static partial void LogRedriven(ILogger logger, string messageId, string recipient, string status, int attempt, string dueUtc, long overdueMinutes);
}
