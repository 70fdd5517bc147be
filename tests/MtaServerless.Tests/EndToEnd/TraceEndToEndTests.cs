using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Data.Tables;
using MimeKit;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Telemetry;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>One message is one trace: the edge starts it, and each stage continues it from the traceparent in the queue documents.</summary>
public sealed class TraceEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Message_ThroughEdgeIngestAndDeliver_IsOneTraceWithEachSpanUnderTheLast()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is MtaTelemetry.EdgeSourceName or MtaTelemetry.PipelineSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var sink = SmtpSink.Start();
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("example.com", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)),
            TableUpdateMode.Replace);
        using var runner = await InProcessRunner.StartAsync(azurite.ConnectionString);

        var id = await InProcessRunner.SubmitAsync(runner, Message());
        await sink.WaitForAcceptedAsync(1, TimeSpan.FromSeconds(90));
        var deliver = await WaitForSpanAsync(stopped, a => a.OperationName == "mta.deliver" && Tagged(a, id));

        var accept = Assert.Single(stopped, a => a.OperationName == "smtp.accept" && Tagged(a, id));
        var ingest = Assert.Single(stopped, a => a.OperationName == "mta.ingest" && Tagged(a, id));
        var relay = Assert.Single(stopped, a => a.OperationName == "smtp.relay" && a.TraceId == accept.TraceId);
        Assert.Equal((ActivityKind.Server, default), (accept.Kind, accept.ParentSpanId));
        Assert.Equal((accept.TraceId, accept.SpanId, ActivityKind.Consumer), (ingest.TraceId, ingest.ParentSpanId, ingest.Kind));
        Assert.Equal((accept.TraceId, ingest.SpanId), (deliver.TraceId, deliver.ParentSpanId));
        Assert.Equal((deliver.SpanId, ActivityKind.Client), (relay.ParentSpanId, relay.Kind));
        Assert.Equal("127.0.0.1", relay.GetTagItem("server.address"));
        Assert.Equal("250", relay.GetTagItem("smtp.reply_codes"));
    }

    private static bool Tagged(Activity activity, string messageId) =>
        activity.GetTagItem(MtaTelemetry.MessageIdTag) as string == messageId;

    /// <summary>The sink has the message a moment before the Deliver span ends.</summary>
    private static async Task<Activity> WaitForSpanAsync(ConcurrentQueue<Activity> stopped, Func<Activity, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!stopped.Any(match))
        {
            await Task.Delay(50, timeout.Token);
        }

        return stopped.First(match);
    }

    private static MimeMessage Message()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.org"));
        message.To.Add(MailboxAddress.Parse("bob@example.com"));
        message.Subject = "traced";
        message.Body = new TextPart("plain") { Text = "One trace, please.\r\n" };
        return message;
    }
}
