using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Connections to a next hop are kept between transactions of one instance: reused after an RSET, closed
/// when idle or old, never shared between credentials, and a kept connection that the hop dropped is
/// replaced by a fresh one without sending anything twice.
/// </summary>
public sealed class ConnectionPoolTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<IAsyncDisposable> _disposables = [];
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await StartAsync(new Dictionary<string, string?>());

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_TasksForOneHopBackToBack_ShareOneConnectionWithRsetBetween()
    {
        var server = Server(new SmtpScript());

        foreach (var recipient in new[] { "a@example.com", "b@example.com", "c@example.com" })
        {
            await DeliverAsync(_pipeline, Smarthost(server), recipient);
        }

        Assert.Equal(1, server.Connections);
        Assert.Equal(3, server.Accepted.Count);
        Assert.Equal(3, server.Resets);
    }

    [Fact]
    public async Task Deliver_ConnectionIdleLongerThanTheIdleTime_IsClosedAndANewOneOpened()
    {
        var server = Server(new SmtpScript());

        await DeliverAsync(_pipeline, Smarthost(server), "a@example.com");
        _time.Advance(TimeSpan.FromSeconds(3));
        await DeliverAsync(_pipeline, Smarthost(server), "b@example.com");

        Assert.Equal(2, server.Connections);
        Assert.Equal(2, server.Accepted.Count);
    }

    [Fact]
    public async Task Deliver_ConnectionOlderThanTheReuseLimit_IsNotReused()
    {
        await using var pipeline = await StartAsync(new Dictionary<string, string?> { ["Pipeline:ConnectionIdleTimeout"] = "00:10:00", ["Pipeline:ConnectionReuseLimit"] = "00:00:30" });
        var server = Server(new SmtpScript());

        await DeliverAsync(pipeline, Smarthost(server), "a@example.com");
        _time.Advance(TimeSpan.FromSeconds(20));
        await DeliverAsync(pipeline, Smarthost(server), "b@example.com");
        _time.Advance(TimeSpan.FromSeconds(20));
        await DeliverAsync(pipeline, Smarthost(server), "c@example.com");

        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Deliver_KeptConnectionDroppedWhenUsed_IsReplacedAndTheMessageSentOnce()
    {
        var server = Server(new SmtpScript { CloseOnMailAfterRset = true });

        await DeliverAsync(_pipeline, Smarthost(server), "a@example.com");
        await DeliverAsync(_pipeline, Smarthost(server), "b@example.com");

        Assert.Equal(2, server.Connections);
        Assert.Equal(["a@example.com", "b@example.com"], server.Accepted.SelectMany(m => m.To).Order(StringComparer.Ordinal));
        Assert.Equal(2, server.DataAttempts);
    }

    /// <summary>An independent server (cosullivan's SmtpServer) that requires STARTTLS and AUTH, with a user for each route.</summary>
    [Fact]
    public async Task Deliver_RoutesWithDifferentCredentials_NeverShareAConnection()
    {
        await using var server = SmtpSink.StartWithAuth(new Dictionary<string, string> { ["relay-user"] = "s3cret", ["other-user"] = "s3cond" });
        var first = new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Port, TlsMode.Required, CredentialRef: "relay1", VerifyCertificate: false);
        var second = first with { CredentialRef = "relay2" };

        await DeliverAsync(_pipeline, first, "a@example.com");
        await DeliverAsync(_pipeline, second, "b@example.com");
        await DeliverAsync(_pipeline, first, "c@example.com");

        Assert.Equal(2, server.Sessions);
        Assert.Equal(
            [("a@example.com", "relay-user"), ("b@example.com", "other-user"), ("c@example.com", "relay-user")],
            server.Accepted.Select(m => (m.To[0], m.AuthUser)).OrderBy(m => m.Item1, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deliver_PoolTurnedOff_OpensAConnectionPerTransactionAndQuits()
    {
        await using var pipeline = await StartAsync(new Dictionary<string, string?> { ["Pipeline:ConnectionIdleTimeout"] = "00:00:00" });
        var server = Server(new SmtpScript());

        await DeliverAsync(pipeline, Smarthost(server), "a@example.com");
        await DeliverAsync(pipeline, Smarthost(server), "b@example.com");

        Assert.Equal((2, 0), (server.Connections, server.Resets));
    }

    private async Task<PipelineHarness> StartAsync(Dictionary<string, string?> settings)
    {
        settings["Credentials:relay1:UserName"] = "relay-user";
        settings["Credentials:relay1:Password"] = "s3cret";
        settings["Credentials:relay2:UserName"] = "other-user";
        settings["Credentials:relay2:Password"] = "s3cond";
        return await PipelineHarness.StartAsync(azurite, settings, _time);
    }

    private static async Task DeliverAsync(PipelineHarness pipeline, Route route, string recipient)
    {
        var task = await pipeline.NewTaskAsync(route, [recipient]);
        await pipeline.Deliver.RunAsync(task, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Delivered, (await pipeline.RecordAsync(task.Id, recipient)).Status);
    }

    private ScriptedSmtpServer Server(SmtpScript script)
    {
        var server = ScriptedSmtpServer.Start("127.0.0.1", 0, script);
        _disposables.Add(server);
        return server;
    }

    private static Route Smarthost(ScriptedSmtpServer server) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None);
}
