using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Ingest;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Integration;

/// <summary>
/// Ingest routes every recipient, writes the records, and makes the first attempt itself, one transaction per
/// next hop (scripted servers on loopback; a closed port where the attempt must fail); what a replay finds
/// pending goes to the delivery queue when it is due.
/// </summary>
public sealed class IngestStageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly ScriptedSmtpServer _relayA = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Dsn = true });
    private readonly ScriptedSmtpServer _relayB = ScriptedSmtpServer.Start("127.0.0.1", 0);
    private readonly LoopbackDnsServer _dns = new();
    private readonly int _closedPort = ClosedPort();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await azurite.Storage.Delivery.ClearMessagesAsync();
        foreach (var route in new[]
        {
            new Route("example.com", RouteAction.Smarthost, "127.0.0.1", _relayA.Endpoint.Port, TlsMode.None),
            new Route("*.example.com", RouteAction.Smarthost, "127.0.0.1", _relayB.Endpoint.Port, TlsMode.None),
            new Route("down.example", RouteAction.Smarthost, "127.0.0.1", _closedPort, TlsMode.None),
            new Route("blocked.example", RouteAction.Reject, RejectText: "Not here"),
            new Route("*.mxroute.example", RouteAction.Mx, Port: _relayA.Endpoint.Port, Tls: TlsMode.None),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        _dns.Mx("one.mxroute.example", 10, "mx.one.mxroute.example").Address("mx.one.mxroute.example", "127.0.0.1")
            .Mx("two.mxroute.example", 10, "mx.two.mxroute.example").Address("mx.two.mxroute.example", "127.0.0.1");
        _services = Services(new Dictionary<string, string?>());
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _relayA.DisposeAsync();
        await _relayB.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task Run_RecipientsOnTwoHops_DeliversTheFirstAttemptItselfInOneTransactionPerHop()
    {
        var message = await MessageAsync("a@example.com", "b@EXAMPLE.com", "c@mail.example.com", "d@blocked.example", "e@unrouted.example");

        await Stage.RunAsync(message, CancellationToken.None);

        var records = await RecordsAsync(message.Id);
        Assert.Equal(["a@example.com", "b@example.com", "c@mail.example.com", "d@blocked.example", "e@unrouted.example"], records.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((DeliveryStatus.Delivered, 1, "example.com"), (records["a@example.com"].Status, records["a@example.com"].Attempts, records["a@example.com"].Route));
        Assert.Equal((DeliveryStatus.Delivered, "*.example.com"), (records["c@mail.example.com"].Status, records["c@mail.example.com"].Route));
        Assert.Equal((DeliveryStatus.Bounced, "550 5.7.1 Not here"), (records["d@blocked.example"].Status, records["d@blocked.example"].LastReply));
        Assert.Equal(DeliveryStatus.Bounced, records["e@unrouted.example"].Status);
        Assert.StartsWith("550 5.1.2 ", records["e@unrouted.example"].LastReply, StringComparison.Ordinal);
        Assert.Equal(["a@example.com", "b@example.com"], Assert.Single(_relayA.Accepted).To);
        var mail = Assert.Single(_relayB.Accepted);
        Assert.Equal(["c@mail.example.com"], mail.To);
        Assert.StartsWith(ReceivedHeader.Build(message), System.Text.Encoding.Latin1.GetString(mail.Data), StringComparison.Ordinal);
        // Nothing goes through the delivery queue on the way: no task, and no record read to lease it.
        Assert.Equal(0, await QueuedAsync());
    }

    [Fact]
    public async Task Run_FirstAttemptDeferred_QueuesOneRetryForTheDeferredRecipientsThatNeverExpires()
    {
        await using var services = Services(new Dictionary<string, string?> { ["Pipeline:Backoff"] = "00:00:01", ["Pipeline:BackoffJitter"] = "0" });
        var message = await MessageAsync("a@down.example", "b@down.example", "c@example.com");

        await services.GetRequiredService<IngestStage>().RunAsync(message, CancellationToken.None);

        var records = await RecordsAsync(message.Id);
        Assert.Equal((DeliveryStatus.Deferred, 1), (records["a@down.example"].Status, records["a@down.example"].Attempts));
        Assert.Equal(DeliveryStatus.Delivered, records["c@example.com"].Status);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var retry = Assert.Single(await TasksAsync());
        Assert.Equal((2, message.Session.ReceivedAt), (retry.Attempt, retry.FirstAttemptAt));
        Assert.Equal(["a@down.example", "b@down.example"], retry.Recipients);
        Assert.All((await azurite.Storage.Delivery.PeekMessagesAsync(32)).Value, QueueExpiry.AssertNeverExpires);
    }

    [Fact]
    public async Task Run_SameMessageAgain_KeepsRecordedStatesAndReschedulesOnlyPendingRecipients()
    {
        var message = await MessageAsync("a@down.example", "b@down.example");
        await Stage.RunAsync(message, CancellationToken.None);
        var delivered = (await RecordsAsync(message.Id))["a@down.example"];
        delivered.Status = DeliveryStatus.Delivered;
        await azurite.Storage.Deliveries.UpdateEntityAsync(delivered, delivered.ETag);
        await DeferAsync(message.Id, "b@down.example", attempts: 1, due: DateTimeOffset.UtcNow.AddMinutes(-1), delayWarned: false);

        await Stage.RunAsync(message, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await RecordsAsync(message.Id))["a@down.example"].Status);
        Assert.Equal(["b@down.example"], Assert.Single(await TasksAsync()).Recipients);
    }

    [Fact]
    public async Task Run_ReplayedAfterThreeDeferredAttempts_TheTaskIsTheFourthAttempt()
    {
        var message = await MessageAsync("a@down.example");
        await Stage.RunAsync(message, CancellationToken.None);
        await DeferAsync(message.Id, "a@down.example", attempts: 3, due: DateTimeOffset.UtcNow.AddMinutes(-1), delayWarned: true);

        await Stage.RunAsync(message, CancellationToken.None);

        var task = Assert.Single(await TasksAsync());
        Assert.Equal((4, true), (task.Attempt, task.DelayWarned));
        var record = (await RecordsAsync(message.Id))["a@down.example"];
        Assert.Equal((DeliveryStatus.Deferred, 3), (record.Status, record.Attempts));
    }

    [Fact]
    public async Task Run_ReplayedWhileARetryIsScheduled_TheTaskWaitsUntilTheRecipientIsDue()
    {
        var message = await MessageAsync("a@down.example");
        await Stage.RunAsync(message, CancellationToken.None);
        await DeferAsync(message.Id, "a@down.example", attempts: 2, due: DateTimeOffset.UtcNow.AddHours(1), delayWarned: false);

        await Stage.RunAsync(message, CancellationToken.None);

        Assert.Empty(await TasksAsync());
        Assert.Equal(1, await QueuedAsync());
    }

    [Fact]
    public async Task Run_MxRoute_OneTransactionPerRecipientDomainWithTheDsnParameters()
    {
        var message = await MessageAsync("a@one.mxroute.example", "b@two.mxroute.example", "c@one.mxroute.example");
        message = message with
        {
            Envelope = message.Envelope with
            {
                Recipients = [new("a@one.mxroute.example", DsnNotify.Failure | DsnNotify.Delay, new OriginalRecipient("rfc822", "A@one.mxroute.example")), new("b@two.mxroute.example"), new("c@one.mxroute.example", DsnNotify.Never)],
                Ret = DsnReturn.Headers,
                EnvId = "env-1",
            },
        };

        await Stage.RunAsync(message, CancellationToken.None);

        Assert.Equal(
            [["a@one.mxroute.example", "c@one.mxroute.example"], ["b@two.mxroute.example"]],
            _relayA.Accepted.Select(m => m.To).OrderBy(r => r[0], StringComparer.Ordinal).ToList());
        Assert.All(_relayA.Accepted, m => Assert.EndsWith(" RET=HDRS ENVID=env-1", m.MailFromLine, StringComparison.Ordinal));
        var records = await RecordsAsync(message.Id);
        Assert.Equal(("FAILURE,DELAY", "rfc822;A@one.mxroute.example"), (records["a@one.mxroute.example"].Notify, records["a@one.mxroute.example"].Orcpt));
        Assert.Equal("NEVER", records["c@one.mxroute.example"].Notify);
        Assert.Contains(_relayA.Accepted.SelectMany(m => m.RcptLines), l => l == "RCPT TO:<c@one.mxroute.example> NOTIFY=NEVER");
    }

    [Fact]
    public async Task Run_RouteEditedInTheTable_IsSeenOnlyOnceTheRouteCacheTtlHasPassed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = Services(new Dictionary<string, string?> { ["Pipeline:RouteCacheTtl"] = "00:02:00" }, time);
        var stage = services.GetRequiredService<IngestStage>();
        await SetRouteAsync(new Route("cached.example", RouteAction.Smarthost, "127.0.0.1", _closedPort, TlsMode.None));
        var first = await IngestedStatusAsync(stage);
        await SetRouteAsync(new Route("cached.example", RouteAction.Reject));
        time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        var beforeTtl = await IngestedStatusAsync(stage);
        time.Advance(TimeSpan.FromSeconds(2));
        var afterTtl = await IngestedStatusAsync(stage);

        Assert.Equal((DeliveryStatus.Deferred, DeliveryStatus.Deferred, DeliveryStatus.Bounced), (first, beforeTtl, afterTtl));
    }

    private ServiceProvider Services(Dictionary<string, string?> settings, TimeProvider? time = null)
    {
        settings[StorageNames.Connection] = azurite.ConnectionString;
        settings["Pipeline:NameServers"] = _dns.Endpoint.ToString();
        // What Ingest adds for the checks of received mail is the subject of AuthenticationEndToEndTests.
        settings["Authentication:Enabled"] = "false";
        var services = new ServiceCollection().AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        return services.AddMtaPipeline(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()).BuildServiceProvider();
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<int> QueuedAsync() => (await azurite.Storage.Delivery.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    private IngestStage Stage => _services.GetRequiredService<IngestStage>();

    /// <summary>Ingests a message to the cached route's domain and returns its recipient's status.</summary>
    private async Task<string> IngestedStatusAsync(IngestStage stage)
    {
        var message = await MessageAsync("bob@cached.example");
        await stage.RunAsync(message, CancellationToken.None);
        return (await RecordsAsync(message.Id))["bob@cached.example"].Status;
    }

    private async Task SetRouteAsync(Route route) =>
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);

    /// <summary>What Deliver leaves after it deferred a recipient: its attempts, and when its retry is due; Ingest's first task is gone.</summary>
    private async Task DeferAsync(string id, string recipient, int attempts, DateTimeOffset due, bool delayWarned)
    {
        var record = (await RecordsAsync(id))[recipient];
        (record.Status, record.Attempts, record.NextAttemptAt, record.DelayWarned) = (DeliveryStatus.Deferred, attempts, due, delayWarned);
        await azurite.Storage.Deliveries.UpdateEntityAsync(record, record.ETag);
        await azurite.Storage.Delivery.ClearMessagesAsync();
    }

    private async Task<Dictionary<string, DeliveryEntity>> RecordsAsync(string id)
    {
        var records = new Dictionary<string, DeliveryEntity>(StringComparer.Ordinal);
        await foreach (var record in azurite.Storage.Deliveries.QueryAsync<DeliveryEntity>(r => r.PartitionKey == id))
        {
            records[record.Recipient] = record;
        }

        return records;
    }

    private async Task<IReadOnlyList<DeliveryTask>> TasksAsync()
    {
        var peeked = await azurite.Storage.Delivery.PeekMessagesAsync(32);
        return peeked.Value.Select(m => QueueDocuments.DeserializeDelivery(m.Body.ToString())).ToList();
    }

    private async Task<InboundMessage> MessageAsync(params string[] recipients)
    {
        var id = Guid.CreateVersion7().ToString("N");
        await azurite.Storage.Spool.GetBlobClient($"2026/11/28/{id}.eml").UploadAsync(BinaryData.FromString("Received: from a by b; Sat, 28 Nov 2026 14:00:00 +0000\r\nSubject: hi\r\n\r\nHello\r\n"));
        return new InboundMessage(
            id,
            $"2026/11/28/{id}.eml",
            new Envelope("alice@example.org", recipients.Select(r => new EnvelopeRecipient(r)).ToList()),
            new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", DateTimeOffset.UtcNow, "edge.test"));
    }
}
