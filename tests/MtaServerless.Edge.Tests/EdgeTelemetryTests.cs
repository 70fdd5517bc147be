using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using MtaServerless.Core.Telemetry;
using MtaServerless.Edge.Telemetry;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// The edge's spans and metrics for what the end-to-end test does not reach: a refused message and
/// the connections gauge while a client is connected. Listeners are process-wide, so these run alone.
/// </summary>
[Collection(EdgeTelemetryCollection.Name)]
public sealed class EdgeTelemetryTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly ActivityListener _activities = new();
    private readonly MeterListener _meters = new();

    [Fact]
    public async Task RefusedMessage_IsCountedByReplyCode_AndItsTransactionSpanCarriesTheRefusal()
    {
        Listen();
        await using var edge = await EdgeServer.StartAsync(storage);
        await using (var client = await edge.ConnectAsync())
        {
            await client.GreetAsync();
            await client.SendAsync("MAIL FROM:<sender@example.org>\r\nRCPT TO:<someone@example.com>\r\nDATA\r\n");
            await client.ExpectAsync("250 2.1.0");
            await client.ExpectAsync("250 2.1.5");
            await client.ExpectAsync("354");

            await client.SendAsync("Subject: bare\r\n\r\nbare\nLF\r\n.\r\n");

            await client.ExpectAsync("550 5.6.11");
            await client.CommandAsync("QUIT", "221");
        }

        var session = await SpanAsync("smtp.session");
        var accept = Assert.Single(_spans, s => s.OperationName == "smtp.accept");
        Assert.Equal((default, ActivityStatusCode.Error, 550), (accept.ParentSpanId, accept.Status, accept.GetTagItem("smtp.reply_code")));
        Assert.Equal(session.Context, Assert.Single(accept.Links).Context);
        Assert.Equal(("127.0.0.1", EdgeServer.ListenerName, "none", false, 221), (session.GetTagItem("client.address"), session.GetTagItem("mta.listener"), session.GetTagItem("smtp.tls"), session.GetTagItem("smtp.authenticated"), session.GetTagItem("smtp.reply_code")));
        var rejected = Assert.Single(_measurements, m => m.Instrument == EdgeMetricNames.MessagesRejected);
        Assert.Equal((1L, EdgeServer.ListenerName, 550), (rejected.Value, rejected.Tags[TelemetryNames.ListenerDimension], rejected.Tags[EdgeMetricNames.ReplyCodeDimension]));
        Assert.DoesNotContain(_measurements, m => m.Instrument == EdgeMetricNames.MessagesAccepted);
    }

    [Fact]
    public async Task ConnectionsGauge_CountsOpenSessionsPerListener_AndReportsIdleListenersAsZero()
    {
        Listen();
        await using var edge = await EdgeServer.StartAsync(storage);
        var client = await edge.ConnectAsync();
        await client.GreetAsync();

        Assert.Equal((1L, 0L, 0L), (Active(EdgeServer.ListenerName), Active("submission"), Active("submissions")));

        await client.CommandAsync("QUIT", "221");
        await client.DisposeAsync();
        await SpanAsync("smtp.session");
        Assert.Equal(0L, Active(EdgeServer.ListenerName));
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    private void Listen()
    {
        _activities.ShouldListenTo = source => source.Name == MtaTelemetry.EdgeSourceName;
        _activities.Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded;
        _activities.ActivityStopped = _spans.Enqueue;
        ActivitySource.AddActivityListener(_activities);

        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MtaTelemetry.EdgeMeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>(Record);
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, state) => Record(instrument, value, tags, state));
        _meters.Start();
    }

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state) =>
        _measurements.Enqueue((instrument.Name, value, new Dictionary<string, object?>(tags.ToArray())));

    /// <summary>The gauge's latest observation for one listener; only this test's edge is observed (its meter is disposed with it).</summary>
    private long Active(string listener)
    {
        _measurements.Clear();
        _meters.RecordObservableInstruments();
        return _measurements.Last(m => m.Instrument == TelemetryNames.EdgeConnectionsActive && (string?)m.Tags[TelemetryNames.ListenerDimension] == listener).Value;
    }

    private async Task<Activity> SpanAsync(string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!_spans.Any(s => s.OperationName == name))
        {
            await Task.Delay(20, timeout.Token);
        }

        return _spans.First(s => s.OperationName == name);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EdgeTelemetryCollection
{
    public const string Name = "Edge telemetry";
}
