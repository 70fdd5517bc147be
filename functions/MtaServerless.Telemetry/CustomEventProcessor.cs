using MtaServerless.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MtaServerless.Telemetry;

/// <summary>
/// Marks the records of the named events with <c>microsoft.custom_event.name</c> (their event id's
/// name), which makes the Azure Monitor exporter send them as customEvents. The events are
/// source-generated log messages, and a template placeholder cannot hold that dotted name.
/// </summary>
internal sealed class CustomEventProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.CategoryName == MtaTelemetry.EventCategory && data.EventId.Name is { Length: > 0 } name)
        {
            data.Attributes = [.. data.Attributes ?? [], new(MtaTelemetry.CustomEventNameAttribute, name)];
        }
    }
}
