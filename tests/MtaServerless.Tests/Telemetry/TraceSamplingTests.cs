using System.Diagnostics;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Telemetry;
using MtaServerless.Telemetry;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// The parts of the sampling that keep failures: the sampler records what it does not sample, the processor exports a
/// failed span and the spans it ran under, and the log records that must not follow their trace are marked sampled.
/// </summary>
public sealed class TraceSamplingTests
{
    // The sampler compares a trace id's first 64 bits (less the sign) with the ratio's share of them.
    private static readonly ActivityTraceId LowTraceId = ActivityTraceId.CreateFromString("00000000000000010000000000000001");
    private static readonly ActivityTraceId HighTraceId = ActivityTraceId.CreateFromString("7fffffffffffff000000000000000001");

    [Theory]
    [InlineData(0.01, "00000000000000010000000000000001", SamplingDecision.RecordAndSample)]
    [InlineData(0.01, "7fffffffffffff000000000000000001", SamplingDecision.RecordOnly)]
    [InlineData(0.0, "00000000000000010000000000000001", SamplingDecision.RecordOnly)]
    [InlineData(1.0, "7fffffffffffff000000000000000001", SamplingDecision.RecordAndSample)]
    public void Sampler_SamplesItsShareByTraceId_AndRecordsTheRest(double ratio, string traceId, SamplingDecision expected)
    {
        var sampler = new RecordEverySpanSampler(ratio);

        // Whatever the parent says: the edge and the Function App decide from the trace id alone, and alike.
        foreach (var parentFlags in new[] { ActivityTraceFlags.None, ActivityTraceFlags.Recorded })
        {
            var id = ActivityTraceId.CreateFromString(traceId);
            var parent = new ActivityContext(id, ActivitySpanId.CreateRandom(), parentFlags, isRemote: true);

            Assert.Equal(expected, sampler.ShouldSample(new SamplingParameters(parent, id, "mta.deliver", ActivityKind.Consumer)).Decision);
        }
    }

    [Fact]
    public void FailedSpan_IsExportedWithTheSpansItRanUnder_AndNotItsSiblings()
    {
        var processor = new FailedSpanProcessor();
        using var ingest = Unsampled("mta.ingest");
        using var succeeded = Unsampled("mta.deliver");
        End(processor, succeeded);
        using var deliver = Unsampled("mta.deliver");
        using var relay = Unsampled("smtp.relay");
        relay.SetStatus(ActivityStatusCode.Error, "Transaction");

        End(processor, relay);
        End(processor, deliver);
        End(processor, ingest);

        Assert.Equal((true, true, true, false), (relay.Recorded, deliver.Recorded, ingest.Recorded, succeeded.Recorded));
    }

    [Fact]
    public void SpanWithoutFailure_StaysUnexported_AndASampledOneStaysExported()
    {
        var processor = new FailedSpanProcessor();
        using var unsampled = Unsampled("mta.ingest");
        End(processor, unsampled);
        using var sampled = new Activity("mta.ingest").SetParentId(LowTraceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        End(processor, sampled);

        Assert.Equal((false, true), (unsampled.Recorded, sampled.Recorded));
    }

    [Fact]
    public void LogRecords_ForAzureMonitor_EventsWarningsAndErrorsAreMarkedSampled_InformationFollowsItsTrace()
    {
        var settings = new Dictionary<string, string?>
        {
            // Loopback and never started: nothing is sent, but the Azure Monitor registration is in place.
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
        };
        var logs = CapturedTelemetry.Logs(settings, loggers =>
        {
            using var trace = Unsampled("mta.ingest");
            loggers.CreateLogger("MtaServerless.Pipeline.Ingest.IngestStage").LogInformation("Message ingested");
            loggers.CreateLogger("MtaServerless.Pipeline.Deliver.SmtpRelay").LogWarning("Connection failed");
            loggers.CreateLogger(MtaTelemetry.EventCategory).LogInformation(new EventId(6010, "mta.recipient.delivered"), "Delivered");
        });

        Assert.Equal(
            [
                new CapturedLog(null, null, "MtaServerless.Pipeline.Ingest.IngestStage", ActivityTraceFlags.None),
                new CapturedLog(null, null, "MtaServerless.Pipeline.Deliver.SmtpRelay", ActivityTraceFlags.Recorded),
                new CapturedLog(null, null, string.Empty, ActivityTraceFlags.Recorded),
            ],
            logs);
    }

    /// <summary>A span of a trace the default ratio leaves out, as the sampler leaves it: recorded, not sampled.</summary>
    private static Activity Unsampled(string name)
    {
        var activity = new Activity(name);
        if (Activity.Current is null)
        {
            activity.SetParentId(HighTraceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        }

        return activity.Start();
    }

    /// <summary>Stops the span as its provider would: the processor sees it at its end, and the current span goes back to its parent.</summary>
    private static void End(FailedSpanProcessor processor, Activity activity)
    {
        activity.Stop();
        processor.OnEnd(activity);
    }
}
