using System.Diagnostics;

namespace MtaServerless.Core.Telemetry;

/// <summary>
/// The activity sources, meters and event category of the MTA. One message is one trace: the edge's
/// span starts it, its id travels as <c>traceparent</c> in the queue documents, and each stage
/// continues it from there, because trace context does not cross a queue by itself.
/// </summary>
public static class MtaTelemetry
{
    public const string EdgeSourceName = "MtaServerless.Edge";
    public const string PipelineSourceName = "MtaServerless.Pipeline";

    /// <summary>The edge's meter; its instruments live as long as the edge service that owns them.</summary>
    public const string EdgeMeterName = EdgeSourceName;

    public const string PipelineMeterName = PipelineSourceName;

    /// <summary>
    /// The logger category of the named events (telemetry.json). Their log records carry the event name
    /// as <see cref="CustomEventNameAttribute"/>, which the Azure Monitor exporter turns into customEvents.
    /// </summary>
    public const string EventCategory = "MtaServerless.Events";

    public const string CustomEventNameAttribute = "microsoft.custom_event.name";

    /// <summary>The edge's span of one transaction, from MAIL to the reply to end-of-data: the root of the message's trace.</summary>
    public const string AcceptSpan = "smtp.accept";

    /// <summary>The dependency span of one next hop tried.</summary>
    public const string RelaySpan = "smtp.relay";

    /// <summary>Tag with the message id (the <c>queued as</c> id), on every span of a message.</summary>
    public const string MessageIdTag = "mta.message.id";

    public static ActivitySource Edge { get; } = new(EdgeSourceName);

    public static ActivitySource Pipeline { get; } = new(PipelineSourceName);

    /// <summary>Starts a consumer span continuing the trace a queue document carries (a new trace when it carries none).</summary>
    public static Activity? StartFromQueue(string name, string messageId, string? traceParent)
    {
        var parent = ActivityContext.TryParse(traceParent, traceState: null, out var context) ? context : default;

        // A document handed over in the process that wrote it (Ingest's first attempt) names the current span: started
        // as that span's child rather than from its id, the new span has it as Parent, through which a failure here
        // also keeps the run it is part of when traces are sampled.
        var inProcess = Activity.Current is { } current && current.TraceId == parent.TraceId && current.SpanId == parent.SpanId;
        return (inProcess ? Pipeline.StartActivity(name, ActivityKind.Consumer) : Pipeline.StartActivity(name, ActivityKind.Consumer, parent))?
            .SetTag(MessageIdTag, messageId);
    }

    /// <summary>The <c>traceparent</c> to write into the next queue document: the current span's, else the one received.</summary>
    public static string? TraceParentFor(Activity? activity, string? received) => activity?.Id ?? received;
}
