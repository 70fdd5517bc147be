using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Users;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// Nothing disappears: a delivery task that keeps failing is moved by the queue engine (the one
/// inside the Functions host) to <c>delivery-poison</c>, whole, so that it can be replayed, and its
/// recipients stay pending rather than leased; the sweeper finishes them without anyone replaying it.
/// </summary>
public sealed class PoisonQueueTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private QueueHostJson? _hostJson;

    [Fact]
    public async Task DeliveryTask_ThatKeepsFailing_LandsInThePoisonQueueReadyToReplay()
    {
        var id = Guid.CreateVersion7().ToString("N");
        var route = new Route("*", RouteAction.Smarthost, "127.0.0.1", 25, TlsMode.None);
        await azurite.Storage.Deliveries.AddEntityAsync(DeliveryEntity.Queued(id, "bob@example.com", route.Pattern, DateTimeOffset.UtcNow));
        // The spool blob is missing, so every run fails: the one failure no retry can cure.
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        var task = new DeliveryTask(id, $"2026/11/28/{id}.eml", "alice@example.org", ["bob@example.com"], "Received: x\r\n", 3, DateTimeOffset.UtcNow, SmtpUtf8: false);
        await azurite.Storage.Delivery.SendMessageAsync(QueueDocuments.Serialize(task));
        var runner = await StartRunnerAsync(maxDequeueCount: 2);

        var poisoned = await WaitForPoisonAsync(id, TimeSpan.FromSeconds(60));

        // Records compare lists by reference: the recipients are compared apart, everything else as a whole.
        Assert.Equal(task, poisoned with { Recipients = task.Recipients });
        Assert.Equal(task.Recipients, poisoned.Recipients);
        var record = (await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode("bob@example.com"))).Value;
        Assert.Equal((DeliveryStatus.Queued, null), (record.Status, record.LeaseOwner));
        await runner.StopAsync();
        runner.Dispose();
    }

    [Fact]
    public async Task DeliveryTask_PoisonedThenCauseFixed_IsDeliveredBySweepingAloneAndStaysInThePoisonQueue()
    {
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("poison.example", RouteAction.Mailbox, AcceptsInbound: true)), TableUpdateMode.Replace);
        await azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount("carol@poison.example", null, Mailbox: true, Disabled: false)), TableUpdateMode.Replace);
        var mailboxes = azurite.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        // Every run fails while the mailboxes container is missing: the cause an operator fixes.
        await mailboxes.DeleteIfExistsAsync();
        var runner = await StartRunnerAsync(maxDequeueCount: 2, new Dictionary<string, string?> { ["Pipeline:SweepAfter"] = "00:00:01" });
        try
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@example.org"));
            message.To.Add(MailboxAddress.Parse("carol@poison.example"));
            message.Subject = "poisoned";
            message.Body = new TextPart("plain") { Text = "Until the container is back.\r\n" };
            var id = await InProcessRunner.SubmitAsync(runner, message);
            var poisoned = await WaitForPoisonAsync(id, TimeSpan.FromSeconds(60));
            await mailboxes.CreateAsync();

            // The timer's ticks, closer together: the recipient is overdue a second after its due time.
            var record = await SweepUntilFinalAsync(runner.Services.GetRequiredService<Sweeper>(), id, "carol@poison.example", TimeSpan.FromSeconds(60));

            Assert.Equal(["carol@poison.example"], poisoned.Recipients);
            Assert.Equal(DeliveryStatus.Delivered, record.Status);
            Assert.Single(await ToListAsync(mailboxes.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "poison.example/carol/", CancellationToken.None)));
            Assert.Single((await Poison.PeekMessagesAsync(32)).Value, m => QueueDocuments.DeserializeDelivery(m.Body.ToString()).Id == id);
        }
        finally
        {
            // Disposed too: its telemetry providers and meters would otherwise go on listening in this process.
            await runner.StopAsync();
            runner.Dispose();
            await mailboxes.CreateIfNotExistsAsync();
        }
    }

    private async Task<DeliveryEntity> SweepUntilFinalAsync(Sweeper sweeper, string id, string recipient, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            await sweeper.SweepAsync(deadline.Token);
            var found = await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode(recipient), cancellationToken: deadline.Token);
            if (found.Value.IsFinal)
            {
                return found.Value;
            }

            await Task.Delay(500, deadline.Token);
        }
    }

    public void Dispose() => _hostJson?.Dispose();

    private Azure.Storage.Queues.QueueClient Poison => azurite.Storage.Queues.GetQueueClient(StorageNames.DeliveryQueue + StorageNames.PoisonSuffix);

    /// <summary>The Functions app's host.json with a lower dequeue count and no wait between attempts, so the test takes seconds.</summary>
    private async Task<IHost> StartRunnerAsync(int maxDequeueCount, Dictionary<string, string?>? settings = null)
    {
        _hostJson = await QueueHostJson.WriteAsync(new Dictionary<string, JsonNode?> { ["maxDequeueCount"] = maxDequeueCount, ["visibilityTimeout"] = "00:00:00" });
        var values = new Dictionary<string, string?>(settings ?? []) { ["Logging:LogLevel:Default"] = "None" };
        return await InProcessRunner.StartAsync(azurite.ConnectionString, values, _hostJson.Path);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private async Task<DeliveryTask> WaitForPoisonAsync(string id, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var tasks = (await Poison.PeekMessagesAsync(32, deadline.Token)).Value.Select(m => QueueDocuments.DeserializeDelivery(m.Body.ToString()));
            if (tasks.FirstOrDefault(t => t.Id == id) is { } task)
            {
                return task;
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
