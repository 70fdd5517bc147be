using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Integration;

public sealed class DeliverStageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Recipient = "bob@example.com";
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        await azurite.Storage.Delivery.ClearMessagesAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [StorageNames.Connection] = azurite.ConnectionString,
                ["Pipeline:Backoff"] = "00:10:00",
                ["Pipeline:BackoffJitter"] = "0",
                ["Pipeline:ConnectTimeout"] = "00:00:05",
                ["Pipeline:RouteCacheTtl"] = "00:00:00",
            })
            .Build();
        _services = new ServiceCollection().AddLogging().AddMtaPipeline(configuration).BuildServiceProvider();
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Run_SameTaskTwice_SendsOneCopy()
    {
        await using var sink = SmtpSink.Start();
        var task = await NewTaskAsync(sink.Port, DateTimeOffset.UtcNow);

        await Stage.RunAsync(task, CancellationToken.None);
        await Stage.RunAsync(task, CancellationToken.None);

        Assert.Single(sink.Accepted);
        Assert.Equal(1, sink.DataAttempts);
        Assert.Equal(DeliveryStatus.Delivered, (await RecordAsync(task.Id)).Status);
    }

    [Fact]
    public async Task Run_Remote550_FailsTheRecipientWithoutRetry()
    {
        await using var sink = SmtpSink.Start(_ => SmtpSink.Reply(550, "5.7.1 Rejected by policy"));
        var task = await NewTaskAsync(sink.Port, DateTimeOffset.UtcNow);

        await Stage.RunAsync(task, CancellationToken.None);

        var record = await RecordAsync(task.Id);
        Assert.Equal(DeliveryStatus.Bounced, record.Status);
        Assert.Equal("550 5.7.1 Rejected by policy", record.LastReply);
        Assert.Equal(0, await QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Run_RemoteUnreachable_DefersAndSchedulesTheNextAttemptInvisibly()
    {
        var task = await NewTaskAsync(AzuriteProcess.FreePorts().Blob, DateTimeOffset.UtcNow);

        await Stage.RunAsync(task, CancellationToken.None);

        var record = await RecordAsync(task.Id);
        Assert.Equal(DeliveryStatus.Deferred, record.Status);
        Assert.Equal(1, record.Attempts);
        Assert.StartsWith("451 4.4.1 ", record.LastReply, StringComparison.Ordinal);
        Assert.Equal(1, await QueuedTaskCountAsync());
        Assert.Empty((await azurite.Storage.Delivery.PeekMessagesAsync()).Value);
    }

    [Fact]
    public async Task Run_RemoteUnreachablePastTheLifetime_FailsInsteadOfRetrying()
    {
        var task = await NewTaskAsync(AzuriteProcess.FreePorts().Blob, DateTimeOffset.UtcNow.AddDays(-6));

        await Stage.RunAsync(task, CancellationToken.None);

        var record = await RecordAsync(task.Id);
        Assert.Equal(DeliveryStatus.Bounced, record.Status);
        Assert.Contains("gave up after 120 hours", record.LastReply, StringComparison.Ordinal);
        Assert.Equal(0, await QueuedTaskCountAsync());
    }

    private DeliverStage Stage => _services.GetRequiredService<DeliverStage>();

    private async Task<DeliveryTask> NewTaskAsync(int port, DateTimeOffset firstAttempt)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var blob = StorageNames.SpoolBlobName(id, firstAttempt);
        await azurite.Storage.Spool.GetBlobClient(blob).UploadAsync(BinaryData.FromString("Subject: hi\r\n\r\nHello\r\n"));
        var route = new Route("*", RouteAction.Smarthost, "127.0.0.1", port, TlsMode.None);
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        await azurite.Storage.Deliveries.AddEntityAsync(DeliveryEntity.Queued(id, Recipient, route.Pattern, firstAttempt));
        return new DeliveryTask(id, blob, "alice@example.org", [Recipient], "Received: from a ([127.0.0.1]) by b; Sat, 28 Nov 2026 14:05:09 +0000\r\n", 1, firstAttempt, SmtpUtf8: false);
    }

    private async Task<DeliveryEntity> RecordAsync(string id) =>
        (await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode(Recipient))).Value;

    private async Task<int> QueuedTaskCountAsync() =>
        (await azurite.Storage.Delivery.GetPropertiesAsync()).Value.ApproximateMessagesCount;
}
