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

public sealed class IngestStageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await azurite.Storage.Delivery.ClearMessagesAsync();
        foreach (var route in new[]
        {
            new Route("example.com", RouteAction.Smarthost, "relay-a.test", 25),
            new Route("*.example.com", RouteAction.Smarthost, "relay-b.test", 25),
            new Route("blocked.example", RouteAction.Reject, RejectText: "Not here"),
            new Route("*.mxroute.example", RouteAction.Mx),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageNames.Connection] = azurite.ConnectionString })
            .Build();
        _services = new ServiceCollection().AddLogging().AddMtaPipeline(configuration).BuildServiceProvider();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Run_RecipientsOnTwoHops_WritesOneRecordEachAndOneTaskPerHop()
    {
        var message = await MessageAsync("a@example.com", "b@EXAMPLE.com", "c@mail.example.com", "d@blocked.example", "e@unrouted.example");

        await Stage.RunAsync(message, CancellationToken.None);

        var records = await RecordsAsync(message.Id);
        Assert.Equal(["a@example.com", "b@example.com", "c@mail.example.com", "d@blocked.example", "e@unrouted.example"], records.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(DeliveryStatus.Queued, records["a@example.com"].Status);
        Assert.Equal("example.com", records["a@example.com"].Route);
        Assert.Equal("*.example.com", records["c@mail.example.com"].Route);
        Assert.Equal((DeliveryStatus.Bounced, "550 5.7.1 Not here"), (records["d@blocked.example"].Status, records["d@blocked.example"].LastReply));
        Assert.Equal(DeliveryStatus.Bounced, records["e@unrouted.example"].Status);
        Assert.StartsWith("550 5.1.2 ", records["e@unrouted.example"].LastReply, StringComparison.Ordinal);

        var tasks = await TasksAsync();
        Assert.Equal(
            [["a@example.com", "b@example.com"], ["c@mail.example.com"]],
            tasks.Select(t => t.Recipients).OrderBy(r => r[0], StringComparer.Ordinal).ToList());
        Assert.All((await azurite.Storage.Delivery.PeekMessagesAsync(32)).Value, QueueExpiry.AssertNeverExpires);
        Assert.All(tasks, t =>
        {
            Assert.Equal(1, t.Attempt);
            Assert.Equal(message.Session.ReceivedAt, t.FirstAttemptAt);
            Assert.Equal(ReceivedHeader.Build(message), t.Headers);
            Assert.Equal(message.Blob, t.Blob);
        });
    }

    [Fact]
    public async Task Run_SameMessageAgain_KeepsRecordedStatesAndReschedulesOnlyPendingRecipients()
    {
        var message = await MessageAsync("a@example.com", "b@example.com");
        await Stage.RunAsync(message, CancellationToken.None);
        var delivered = (await RecordsAsync(message.Id))["a@example.com"];
        delivered.Status = DeliveryStatus.Delivered;
        await azurite.Storage.Deliveries.UpdateEntityAsync(delivered, delivered.ETag);
        await azurite.Storage.Delivery.ClearMessagesAsync();

        await Stage.RunAsync(message, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await RecordsAsync(message.Id))["a@example.com"].Status);
        Assert.Equal(["b@example.com"], Assert.Single(await TasksAsync()).Recipients);
    }

    [Fact]
    public async Task Run_ReplayedAfterThreeDeferredAttempts_TheTaskIsTheFourthAttempt()
    {
        var message = await MessageAsync("a@example.com");
        await Stage.RunAsync(message, CancellationToken.None);
        await DeferAsync(message.Id, "a@example.com", attempts: 3, due: DateTimeOffset.UtcNow.AddMinutes(-1), delayWarned: true);

        await Stage.RunAsync(message, CancellationToken.None);

        var task = Assert.Single(await TasksAsync());
        Assert.Equal((4, true), (task.Attempt, task.DelayWarned));
        var record = (await RecordsAsync(message.Id))["a@example.com"];
        Assert.Equal((DeliveryStatus.Deferred, 3), (record.Status, record.Attempts));
    }

    [Fact]
    public async Task Run_ReplayedWhileARetryIsScheduled_TheTaskWaitsUntilTheRecipientIsDue()
    {
        var message = await MessageAsync("a@example.com");
        await Stage.RunAsync(message, CancellationToken.None);
        await DeferAsync(message.Id, "a@example.com", attempts: 2, due: DateTimeOffset.UtcNow.AddHours(1), delayWarned: false);

        await Stage.RunAsync(message, CancellationToken.None);

        Assert.Empty(await TasksAsync());
        Assert.Equal(1, (await azurite.Storage.Delivery.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Run_MxRoute_OneTaskPerRecipientDomainAndDsnParametersOnTheRecords()
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

        var tasks = await TasksAsync();
        Assert.Equal(
            [["a@one.mxroute.example", "c@one.mxroute.example"], ["b@two.mxroute.example"]],
            tasks.Select(t => t.Recipients).OrderBy(r => r[0], StringComparer.Ordinal).ToList());
        Assert.All(tasks, t => Assert.Equal((DsnReturn.Headers, "env-1"), (t.Ret, t.EnvId)));
        var records = await RecordsAsync(message.Id);
        Assert.Equal(("FAILURE,DELAY", "rfc822;A@one.mxroute.example"), (records["a@one.mxroute.example"].Notify, records["a@one.mxroute.example"].Orcpt));
        Assert.Equal("NEVER", records["c@one.mxroute.example"].Notify);
    }

    [Fact]
    public async Task Run_RouteEditedInTheTable_IsSeenOnlyOnceTheRouteCacheTtlHasPassed()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(time)
            .AddMtaPipeline(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                [StorageNames.Connection] = azurite.ConnectionString,
                ["Pipeline:RouteCacheTtl"] = "00:02:00",
            }).Build())
            .BuildServiceProvider();
        var stage = services.GetRequiredService<IngestStage>();
        await SetRouteAsync(new Route("cached.example", RouteAction.Smarthost, "relay.test", 25));
        var first = await IngestedStatusAsync(stage);
        await SetRouteAsync(new Route("cached.example", RouteAction.Reject));
        time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        var beforeTtl = await IngestedStatusAsync(stage);
        time.Advance(TimeSpan.FromSeconds(2));
        var afterTtl = await IngestedStatusAsync(stage);

        Assert.Equal((DeliveryStatus.Queued, DeliveryStatus.Queued, DeliveryStatus.Bounced), (first, beforeTtl, afterTtl));
    }

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
