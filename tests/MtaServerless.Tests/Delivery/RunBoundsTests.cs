using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Pipeline;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// A run cannot outlive its lease: a hop starts only while the lease holds its worst case and the
/// writing of the results (a slow first hop postpones the next), and a host that stops after a next
/// hop's 250 neither loses that 250 nor lets the recipient be sent again.
/// </summary>
public sealed class RunBoundsTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly List<IAsyncDisposable> _disposables = [];

    [Fact]
    public async Task Deliver_FirstHopUsesTheLeaseThatTheSecondNeeds_PostponesTheSecondHop()
    {
        var pipeline = await StartAsync();
        var options = new PipelineOptions { ConnectTimeout = TimeSpan.FromSeconds(2), DnsTimeout = TimeSpan.FromSeconds(1) };
        // The last moment a hop may start, measured from the lease's start.
        var lastStart = options.LeaseDuration - options.RecordingReserve - options.WorstCaseHop;
        var slow = Server(new SmtpScript { Data = _ => Advance(lastStart + TimeSpan.FromSeconds(1), "250 2.0.0 Ok") });
        var next = Server(new SmtpScript());
        var task = await pipeline.NewTaskAsync(Smarthost("one.example", slow), ["a@one.example", "b@two.example"]);
        await pipeline.UseRouteAsync(Smarthost("one.example", slow), Smarthost("two.example", next));

        await pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await pipeline.RecordAsync(task.Id, "a@one.example")).Status);
        var postponed = await pipeline.RecordAsync(task.Id, "b@two.example");
        Assert.Equal((DeliveryStatus.Deferred, LocalOutcomes.Postponed.ToString()), (postponed.Status, postponed.LastReply));
        Assert.Equal(0, next.Connections);
        Assert.Equal(["b@two.example"], (await pipeline.NextTaskAsync(TimeSpan.FromSeconds(15))).Recipients);
    }

    [Fact]
    public async Task Deliver_HostStopsRightAfterTheNextHopsTwoFifty_RecordsItAndNeverSendsAgain()
    {
        var pipeline = await StartAsync();
        using var stopping = new CancellationTokenSource();
        var server = Server(StopsTheHostThenAccepts(stopping));
        var task = await pipeline.NewTaskAsync(Smarthost("*", server), ["bob@example.com"]);

        await pipeline.Deliver.RunAsync(task, stopping.Token);
        await pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(1, server.DataAttempts);
    }

    [Fact]
    public async Task Deliver_HostStopsDuringTheFirstHop_StartsNoFurtherHop()
    {
        var pipeline = await StartAsync();
        using var stopping = new CancellationTokenSource();
        var first = Server(StopsTheHostThenAccepts(stopping));
        var second = Server(new SmtpScript());
        var task = await pipeline.NewTaskAsync(Smarthost("one.example", first), ["a@one.example", "b@two.example"]);
        await pipeline.UseRouteAsync(Smarthost("one.example", first), Smarthost("two.example", second));

        await pipeline.Deliver.RunAsync(task, stopping.Token);

        Assert.Equal(DeliveryStatus.Delivered, (await pipeline.RecordAsync(task.Id, "a@one.example")).Status);
        Assert.Equal(DeliveryStatus.Deferred, (await pipeline.RecordAsync(task.Id, "b@two.example")).Status);
        Assert.Equal(0, second.Connections);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    private async Task<PipelineHarness> StartAsync()
    {
        var pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Pipeline:ConnectTimeout"] = "00:00:02" }, _time);
        _disposables.Add(pipeline);
        return pipeline;
    }

    /// <summary>The host starts stopping while the next hop holds the final dot; then the hop says 250.</summary>
    private static SmtpScript StopsTheHostThenAccepts(CancellationTokenSource stopping) => new()
    {
        Data = _ =>
        {
            stopping.Cancel();
            return "250 2.0.0 Ok";
        },
    };

    /// <summary>Moves the clock as a hop that took this long would, then gives the reply.</summary>
    private string Advance(TimeSpan by, string reply)
    {
        _time.Advance(by);
        return reply;
    }

    private ScriptedSmtpServer Server(SmtpScript script)
    {
        var server = ScriptedSmtpServer.Start("127.0.0.1", 0, script);
        _disposables.Add(server);
        return server;
    }

    private static Route Smarthost(string pattern, ScriptedSmtpServer server) =>
        new(pattern, RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None);
}
