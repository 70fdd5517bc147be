using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MtaServerless.Telemetry;

/// <summary>
/// Decides which log records the Azure Monitor exporter keeps. Its trace-based log sampler drops a record written in a
/// span that is not sampled: the per-message Information logs ("queued", "ingested", which the events repeat) follow
/// their trace. Events, warnings and errors are marked sampled so that they are always exported. An event also loses
/// its category, which the exporter would add to every event's customDimensions although the event's name says it.
/// Other exporters configured beside it see the same records.
/// </summary>
internal sealed class ApplicationInsightsLogProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        var isEvent = data.CategoryName == MtaTelemetry.EventCategory;
        if (isEvent)
        {
            data.CategoryName = string.Empty;
        }

        if (isEvent || data.LogLevel >= LogLevel.Warning)
        {
            data.TraceFlags |= ActivityTraceFlags.Recorded;
        }
    }
}
