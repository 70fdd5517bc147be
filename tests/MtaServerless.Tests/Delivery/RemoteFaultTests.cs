using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// A smarthost that fails mid-session (421 and a closed connection, a broken TLS handshake on a route
/// that requires TLS, a stall past the command timeout after the final dot): the recipient is deferred,
/// not lost and not sent twice; once the remote recovers it is delivered once, and if the remote is
/// still failing at the end of the lifetime it bounces with a DSN. (A connection dropped after the
/// final dot and slow or 421 greetings are in <see cref="MxDeliveryTests"/>.)
/// </summary>
public sealed class RemoteFaultTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Recipient = "bob@example.com";
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>Longer than the harness's command timeout (5 s).</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(7);

    private PipelineHarness _pipeline = null!;
    private ScriptedSmtpServer? _server;

    public static TheoryData<RemoteFault> Faults { get; } = new(Enum.GetValues<RemoteFault>());

    public enum RemoteFault
    {
        ShutdownAtRcpt,
        ShutdownAfterTheFinalDot,
        TlsHandshakeFails,
        StallAfterTheFinalDot,
    }

    public async Task InitializeAsync() =>
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Pipeline:MaxLifetime"] = Lifetime.ToString() });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Deliver_RemoteFailsOnceThenRecovers_DeferredThenDeliveredOnce(RemoteFault fault)
    {
        var route = Start(fault, failures: 1);
        var task = await _pipeline.NewTaskAsync(route, [Recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var deferred = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal((DeliveryStatus.Deferred, null), (deferred.Status, deferred.LeaseOwner));
        Assert.StartsWith("4", deferred.LastReply, StringComparison.Ordinal);
        Assert.Empty(_server!.Accepted);
        await _pipeline.Deliver.RunAsync(await _pipeline.NextTaskAsync(RetryWait), CancellationToken.None);

        var delivered = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal((DeliveryStatus.Delivered, 2), (delivered.Status, delivered.Attempts));
        var mail = Assert.Single(_server.Accepted);
        Assert.Equal(route.Tls == TlsMode.Required, mail.Tls);
        Assert.Equal(0, await _pipeline.QueuedTaskCountAsync());
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Deliver_RemoteStillFailingAtTheEndOfTheLifetime_BouncesWithADsn(RemoteFault fault)
    {
        var route = Start(fault, failures: int.MaxValue);
        var task = await _pipeline.NewTaskAsync(route, [Recipient], firstAttempt: DateTimeOffset.UtcNow - Lifetime - TimeSpan.FromMinutes(1));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal(DeliveryStatus.Bounced, record.Status);
        Assert.EndsWith("(gave up after 1 hours)", record.LastReply, StringComparison.Ordinal);
        Assert.Empty(_server!.Accepted);
        Assert.Equal(0, await _pipeline.QueuedTaskCountAsync());
        var (dsn, _) = Assert.Single(await _pipeline.DsnsAsync());
        Assert.Equal(string.Empty, dsn.Envelope.MailFrom);
        Assert.Equal([PipelineHarness.Sender], dsn.Envelope.Recipients.Select(r => r.Address));
    }

    /// <returns>The smarthost route to a scripted server that fails its first <paramref name="failures"/> tries in the given way.</returns>
    private Route Start(RemoteFault fault, int failures)
    {
        const string Shutdown = "421 4.3.2 Service shutting down";
        var script = fault switch
        {
            RemoteFault.ShutdownAtRcpt => new SmtpScript { Rcpt = (_, seen) => seen < failures ? Shutdown : "250 2.1.5 Ok" },
            RemoteFault.ShutdownAfterTheFinalDot => new SmtpScript { Data = n => n <= failures ? Shutdown : "250 2.0.0 Ok" },
            RemoteFault.TlsHandshakeFails => new SmtpScript { StartTls = true, FailedTlsHandshakes = failures },
            // Past the stall the client has gone; the server drops the connection rather than accept what nobody waits for.
            RemoteFault.StallAfterTheFinalDot => new SmtpScript { DataDelay = n => n <= failures ? Stall : TimeSpan.Zero, Data = n => n <= failures ? null : "250 2.0.0 Ok" },
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
        _server = ScriptedSmtpServer.Start("127.0.0.1", 0, script);
        return new Route("*", RouteAction.Smarthost, "127.0.0.1", _server.Endpoint.Port, fault == RemoteFault.TlsHandshakeFails ? TlsMode.Required : TlsMode.None);
    }
}
