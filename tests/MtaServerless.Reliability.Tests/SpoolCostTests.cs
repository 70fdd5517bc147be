using Microsoft.Extensions.Logging.Abstractions;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Reliability.Tests;

/// <summary>What accepting a message costs in storage transactions, and that the bytes arrive whole.</summary>
public sealed class SpoolCostTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Commit_MessageWithinOneBlock_CostsOneBlobWriteAndOneEnqueue()
    {
        var (spool, counter) = CountingSpool();
        var message = RandomBytes(40 * 1024);

        var blob = await SpoolAsync(spool, message, writeSize: 4096);

        Assert.Equal(new Dictionary<string, long> { ["blob PUT object"] = 1, ["queue POST messages"] = 1 }, counter.Snapshot());
        Assert.Equal(message, (await azurite.Storage.Spool.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Commit_MessageOfSeveralBlocks_StagesEachBlockOnceAndCommitsTheList()
    {
        var (spool, counter) = CountingSpool();
        var message = RandomBytes((2 * BlobQueueSpool.BlockSize) + 12345);

        var blob = await SpoolAsync(spool, message, writeSize: 65521);

        Assert.Equal(
            new Dictionary<string, long> { ["blob PUT block"] = 3, ["blob PUT blocklist"] = 1, ["queue POST messages"] = 1 },
            counter.Snapshot());
        Assert.Equal(message, (await azurite.Storage.Spool.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToArray());
    }

    [Fact]
    public async Task Abort_BeforeCommit_LeavesNoBlobAndCostsNothingForASmallMessage()
    {
        var (spool, counter) = CountingSpool();
        string blobName;
        await using (var transaction = await spool.BeginAsync(DateTimeOffset.UtcNow, CancellationToken.None))
        {
            blobName = transaction.BlobName;
            await transaction.Body.WriteAsync(RandomBytes(1000));
        }

        Assert.Empty(counter.Snapshot());
        Assert.False((await azurite.Storage.Spool.GetBlobClient(blobName).ExistsAsync()).Value);
    }

    private (BlobQueueSpool Spool, StorageTransactionCounter Counter) CountingSpool()
    {
        var counter = new StorageTransactionCounter();
        var storage = MtaStorageClients.FromConnectionString(azurite.ConnectionString, counter);
        return (new BlobQueueSpool(storage, NullLogger<BlobQueueSpool>.Instance), counter);
    }

    private static async Task<string> SpoolAsync(BlobQueueSpool spool, byte[] message, int writeSize)
    {
        await using var transaction = await spool.BeginAsync(DateTimeOffset.UtcNow, CancellationToken.None);
        for (var offset = 0; offset < message.Length; offset += writeSize)
        {
            await transaction.Body.WriteAsync(message.AsMemory(offset, Math.Min(writeSize, message.Length - offset)));
        }

        await transaction.CommitAsync(
            new Envelope("alice@example.org", [new EnvelopeRecipient("bob@example.com")]),
            new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", DateTimeOffset.UtcNow, "edge.test"),
            null,
            CancellationToken.None);
        return transaction.BlobName;
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }
}
