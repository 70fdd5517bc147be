using MtaServerless.Core.Documents;
using MtaServerless.Testing;

namespace MtaServerless.Reliability.Tests;

/// <summary>
/// Invariant 1 under faults: the edge answers 250 only when blob and inbound message are written;
/// a fault that outlasts the storage client's retries is a 451 and leaves no inbound message.
/// </summary>
public sealed class EdgeStorageFaultTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    /// <summary>One retry, soon: enough to prove a retry, and fast to exhaust.</summary>
    private static readonly Dictionary<string, string?> OneQuickRetry = new()
    {
        ["MtaStorage:retry:maxRetries"] = "1",
        ["MtaStorage:retry:delay"] = "00:00:00.100",
    };

    private const int MoreThanTheRetries = 2;

    private const string Body = "From: alice@example.org\r\nSubject: faults\r\n\r\nHello.\r\n";

    public async Task InitializeAsync() => await azurite.Storage.Inbound.ClearMessagesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(StorageFault.ServerBusy)]
    [InlineData(StorageFault.Reset)]
    public async Task BlobWrite_FailsOnce_TheRetrySucceedsAnd250(StorageFault fault)
    {
        await using var proxy = new StorageFaultProxy(azurite.BlobPort);
        proxy.FailNext(IsSpoolBlobWrite, fault);
        await using var edge = await EdgeHost.StartAsync(proxy.Route(azurite.ConnectionString, "BlobEndpoint"), OneQuickRetry);

        var reply = await SendAsync(edge);

        Assert.StartsWith("250 2.0.0 ", reply, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Faulted);
        Assert.Single((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
    }

    [Theory]
    [InlineData(StorageFault.ServerBusy)]
    [InlineData(StorageFault.InternalError)]
    [InlineData(StorageFault.Drop)]
    public async Task BlobWrite_FailsEveryTry_451AndNothingEnqueued(StorageFault fault)
    {
        await using var proxy = new StorageFaultProxy(azurite.BlobPort);
        proxy.FailNext(IsSpoolBlobWrite, fault, MoreThanTheRetries);
        await using var edge = await EdgeHost.StartAsync(proxy.Route(azurite.ConnectionString, "BlobEndpoint"), OneQuickRetry);

        var reply = await SendAsync(edge);

        Assert.True(reply.StartsWith("451 4.3.0 ", StringComparison.Ordinal), $"{reply} after {proxy.Faulted} faults: {string.Join(" | ", proxy.Requests)}");
        Assert.Empty((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task InboundEnqueue_FailsEveryTry_451NothingEnqueuedAndTheBlobRemoved()
    {
        await using var proxy = new StorageFaultProxy(azurite.QueuePort);
        proxy.FailNext(line => line.StartsWith("POST ", StringComparison.Ordinal) && line.Contains("/inbound/messages", StringComparison.Ordinal), StorageFault.ServerBusy, MoreThanTheRetries);
        await using var edge = await EdgeHost.StartAsync(proxy.Route(azurite.ConnectionString, "QueueEndpoint"), OneQuickRetry);
        var blobsBefore = await SpoolBlobCountAsync();

        var reply = await SendAsync(edge);

        Assert.StartsWith("451 4.3.0 ", reply, StringComparison.Ordinal);
        Assert.Equal(MoreThanTheRetries, proxy.Faulted);
        Assert.Empty((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
        Assert.Equal(blobsBefore, await SpoolBlobCountAsync());
    }

    [Fact]
    public async Task InboundEnqueue_FailsOnce_OneMessageEnqueued()
    {
        await using var proxy = new StorageFaultProxy(azurite.QueuePort);
        proxy.FailNext(line => line.Contains("/inbound/messages", StringComparison.Ordinal), StorageFault.ServerBusy);
        await using var edge = await EdgeHost.StartAsync(proxy.Route(azurite.ConnectionString, "QueueEndpoint"), OneQuickRetry);

        var reply = await SendAsync(edge);

        Assert.StartsWith("250 2.0.0 ", reply, StringComparison.Ordinal);
        var queued = Assert.Single((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
        Assert.EndsWith(QueueDocuments.DeserializeInbound(queued.Body.ToString()).Id, reply.Trim(), StringComparison.Ordinal);
    }

    /// <summary>A message of less than one block is written with a single Put Blob.</summary>
    private static bool IsSpoolBlobWrite(string requestLine) =>
        requestLine.StartsWith("PUT /devstoreaccount1/" + Core.Storage.StorageNames.SpoolContainer + "/", StringComparison.Ordinal);

    private async Task<int> SpoolBlobCountAsync()
    {
        var count = 0;
        await foreach (var _ in azurite.Storage.Spool.GetBlobsAsync())
        {
            count++;
        }

        return count;
    }

    private static async Task<string> SendAsync(EdgeHost edge)
    {
        await using var client = await SmtpWireClient.ConnectAsync(edge.Endpoint);
        await client.ReadReplyAsync();
        await client.CommandAsync("EHLO client.test");
        await client.CommandAsync("MAIL FROM:<alice@example.org>");
        await client.CommandAsync("RCPT TO:<bob@example.com>");
        await client.CommandAsync("DATA");
        await client.SendAsync(Body + ".\r\n");
        return await client.ReadReplyAsync();
    }
}
