using System.Diagnostics;
using OpenTelemetry;

namespace MtaServerless.Telemetry;

/// <summary>
/// Exports a span that the sampler left out when it fails (error status: an unsuccessful SMTP dependency, a refused
/// transaction, a run that threw), and the spans it ran under in this process: each, as it ends after its child, is
/// marked to be kept and marks its own parent in turn. Exporters skip spans without the recorded flag, so setting it
/// before they see the span is all it takes. What ended earlier (a sibling that succeeded, the edge's spans of a
/// message whose delivery fails later) is gone: that part of the trace is in its events.
/// </summary>
internal sealed class FailedSpanProcessor : BaseProcessor<Activity>
{
    // A custom property, not a tag: it is never exported.
    private const string KeepProperty = "mta.keep";

    public override void OnEnd(Activity data)
    {
        if (data.Recorded || (data.Status != ActivityStatusCode.Error && data.GetCustomProperty(KeepProperty) is null))
        {
            return;
        }

        data.ActivityTraceFlags |= ActivityTraceFlags.Recorded;
        data.Parent?.SetCustomProperty(KeepProperty, true);
    }
}
