using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// Nothing disappears: a delivery task that keeps failing is moved by the queue engine (the one
/// inside the Functions host) to <c>delivery-poison</c>, whole, so that it can be replayed, and its
/// recipients stay pending rather than leased.
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
        using var runner = await StartRunnerAsync(maxDequeueCount: 2);

        var poisoned = await WaitForPoisonAsync(TimeSpan.FromSeconds(60));

        // Records compare lists by reference: the recipients are compared apart, everything else as a whole.
        Assert.Equal(task, poisoned with { Recipients = task.Recipients });
        Assert.Equal(task.Recipients, poisoned.Recipients);
        var record = (await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode("bob@example.com"))).Value;
        Assert.Equal((DeliveryStatus.Queued, null), (record.Status, record.LeaseOwner));
        await runner.StopAsync();
    }

    public void Dispose() => _hostJson?.Dispose();

    /// <summary>The Functions app's host.json with a lower dequeue count and no wait between attempts, so the test takes seconds.</summary>
    private async Task<IHost> StartRunnerAsync(int maxDequeueCount)
    {
        _hostJson = await QueueHostJson.WriteAsync(new Dictionary<string, JsonNode?> { ["maxDequeueCount"] = maxDequeueCount, ["visibilityTimeout"] = "00:00:00" });
        return await InProcessRunner.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "None" }, _hostJson.Path);
    }

    private async Task<DeliveryTask> WaitForPoisonAsync(TimeSpan timeout)
    {
        var poison = azurite.Storage.Queues.GetQueueClient(StorageNames.DeliveryQueue + StorageNames.PoisonSuffix);
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if ((await poison.PeekMessagesAsync(1)).Value is [var message])
            {
                return QueueDocuments.DeserializeDelivery(message.Body.ToString());
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
