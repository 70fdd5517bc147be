using System.Text.Json.Nodes;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

public sealed class QueuesAndPoisonCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        foreach (var name in StorageNames.Queues)
        {
            await azurite.Storage.Queues.GetQueueClient(name).ClearMessagesAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Queues_Json_CountsMessagesPerQueueAndAgesTheOldest()
    {
        await azurite.Storage.Inbound.SendMessageAsync(Document("m1"));
        await azurite.Storage.Inbound.SendMessageAsync(Document("m2"));

        var run = await CliRun.RunAsync(azurite, "queues", "--json");

        Assert.Equal(0, run.ExitCode);
        var queues = JsonNode.Parse(run.Output)!.AsArray().ToDictionary(q => q!["queue"]!.GetValue<string>(), q => q!);
        Assert.Equal(StorageNames.Queues.Order(StringComparer.Ordinal), queues.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, queues[StorageNames.InboundQueue]["messages"]!.GetValue<int>());
        Assert.NotNull(queues[StorageNames.InboundQueue]["oldestAge"]);
        Assert.Equal(0, queues[StorageNames.DeliveryQueue]["messages"]!.GetValue<int>());
        Assert.Null(queues[StorageNames.DeliveryQueue]["oldestAge"]);
    }

    [Fact]
    public async Task PoisonList_ShowsTheMailIdAndRecipientsOfEachMessage()
    {
        await Poison.SendMessageAsync(Document("poisoned-1"));
        await Poison.SendMessageAsync("{ not json");

        var run = await CliRun.RunAsync(azurite, "poison", "list", StorageNames.InboundQueue);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, line => line.Contains("poisoned-1", StringComparison.Ordinal) && line.EndsWith("bob@example.com", StringComparison.Ordinal));
        Assert.Contains(run.Lines, line => line.EndsWith("(not a readable document)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PoisonReplay_All_MovesEveryMessageBackToItsQueue()
    {
        await Poison.SendMessageAsync(Document("replay-1"));
        await Poison.SendMessageAsync(Document("replay-2"));

        var run = await CliRun.RunAsync(azurite, "poison", "replay", StorageNames.InboundQueue, "--all");

        Assert.Equal((0, "Replayed 2 message(s) to inbound."), (run.ExitCode, run.Output.Trim()));
        Assert.Equal(0, (await Poison.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var peeked = (await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value;
        Assert.Equal(["replay-1", "replay-2"], peeked.Select(m => QueueDocuments.DeserializeInbound(m.Body.ToString()).Id).Order(StringComparer.Ordinal));
        Assert.All(peeked, QueueExpiry.AssertNeverExpires);
    }

    [Fact]
    public async Task PoisonReplay_OneId_MovesOnlyThatMessage_AndAnUnknownIdExitsWithOne()
    {
        var chosen = (await Poison.SendMessageAsync(Document("chosen"))).Value.MessageId;
        await Poison.SendMessageAsync(Document("left"));

        var run = await CliRun.RunAsync(azurite, "poison", "replay", StorageNames.InboundQueue, "--id", chosen);
        var unknown = await CliRun.RunAsync(azurite, "poison", "replay", StorageNames.InboundQueue, "--id", "no-such-id");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("chosen", QueueDocuments.DeserializeInbound(Assert.Single((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value).Body.ToString()).Id);
        Assert.Equal("left", QueueDocuments.DeserializeInbound(Assert.Single((await Poison.PeekMessagesAsync(32)).Value).Body.ToString()).Id);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no-such-id", unknown.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("either --all or", "poison", "replay", "inbound")]
    [InlineData("either --all or", "poison", "replay", "inbound", "--all", "--id", "x")]
    [InlineData("not a queue with a poison queue", "poison", "list", "routes")]
    public async Task Poison_BadInput_ExitsWithTwo(string expected, params string[] args)
    {
        var run = await CliRun.RunAsync(azurite, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
    }

    private Azure.Storage.Queues.QueueClient Poison =>
        azurite.Storage.Queues.GetQueueClient(StorageNames.InboundQueue + StorageNames.PoisonSuffix);

    private static string Document(string id) => QueueDocuments.Serialize(new InboundMessage(
        id,
        $"2026/11/28/{id}.eml",
        new Envelope("alice@example.org", [new EnvelopeRecipient("bob@example.com")]),
        new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", DateTimeOffset.UtcNow, "edge.test")));
}
