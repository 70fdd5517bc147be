using MtaServerless.Core.Documents;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Integration;

/// <summary>Invariant 1: the edge says 250 only after the blob and the inbound message are written; any failure is 451 and leaves no inbound message.</summary>
public sealed class EdgeSpoolTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Body = "Received: from a.test by b.test; Sat, 28 Nov 2026 14:00:00 +0000\r\nRECEIVED: from c.test\r\n by d.test; Sat, 28 Nov 2026 13:00:00 +0000\r\n"
        + "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: spool\r\n\r\nHello.\r\nReceived: in the body is text\r\n..leading dot\r\n";

    public async Task InitializeAsync()
    {
        await azurite.Storage.EnsureCreatedAsync(CancellationToken.None);
        await azurite.Storage.Inbound.ClearMessagesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task EndOfData_StorageUp_BlobAndInboundMessageExistWhenThe250IsRead()
    {
        await using var edge = await EdgeHost.StartAsync(azurite.ConnectionString);
        await using var client = await OpenTransactionAsync(edge);

        await client.SendAsync(Body + ".\r\n");
        var reply = await client.ReadReplyAsync();

        // Read back immediately, without waiting: a 250 sent before the writes would race and fail here.
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        var id = reply["250 2.0.0 Ok: queued as ".Length..].Trim();
        var queued = await azurite.Storage.Inbound.PeekMessagesAsync(32);
        var document = QueueDocuments.DeserializeInbound(Assert.Single(queued.Value).Body.ToString());
        Assert.Equal(id, document.Id);
        // Nothing that got its 250 may expire in the queue, however long the functions are down.
        QueueExpiry.AssertNeverExpires(queued.Value[0]);
        Assert.Equal("alice@example.org", document.Envelope.MailFrom);
        Assert.Equal("bob@example.com", Assert.Single(document.Envelope.Recipients).Address);
        Assert.Equal("client.test", document.Session.Helo);
        Assert.Equal("127.0.0.1", document.Session.ClientAddress);
        Assert.Equal("edge.test", document.Session.EdgeHost);
        Assert.Equal(2, document.ReceivedHeaders);

        var blob = await azurite.Storage.Spool.GetBlobClient(document.Blob).DownloadContentAsync();
        Assert.Equal(Body.Replace("\r\n..leading", "\r\n.leading", StringComparison.Ordinal), blob.Value.Content.ToString());
        Assert.Matches(@"^\d{4}/\d{2}/\d{2}/" + id + @"\.eml$", document.Blob);
    }

    [Fact]
    public async Task EndOfData_AzuriteStopped_Replies451AndNothingIsEnqueued()
    {
        await using var edge = await EdgeHost.StartAsync(azurite.ConnectionString);
        await using var client = await OpenTransactionAsync(edge);
        await client.SendAsync(Body);

        await azurite.StopAsync();
        string reply;
        try
        {
            await client.SendAsync(".\r\n");
            reply = await client.ReadReplyAsync();
        }
        finally
        {
            await azurite.RestartAsync();
        }

        Assert.StartsWith("451 4.3.0 ", reply, StringComparison.Ordinal);
        Assert.Empty((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
        Assert.StartsWith("250 ", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndOfData_QueueWriteFails_Replies451AndRemovesTheBlob()
    {
        await using var edge = await EdgeHost.StartAsync(azurite.ConnectionString);
        var blobsBefore = await SpoolBlobNamesAsync();
        await using var client = await OpenTransactionAsync(edge);
        await client.SendAsync(Body);
        await azurite.Storage.Inbound.DeleteAsync();

        await client.SendAsync(".\r\n");
        var reply = await client.ReadReplyAsync();

        Assert.StartsWith("451 4.3.0 ", reply, StringComparison.Ordinal);
        await azurite.Storage.Inbound.CreateIfNotExistsAsync();
        Assert.Empty((await azurite.Storage.Inbound.PeekMessagesAsync(32)).Value);
        Assert.Equal(blobsBefore, await SpoolBlobNamesAsync());
        Assert.StartsWith("250 ", await client.CommandAsync("RSET"), StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<string>> SpoolBlobNamesAsync()
    {
        var names = new List<string>();
        await foreach (var blob in azurite.Storage.Spool.GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private static async Task<SmtpWireClient> OpenTransactionAsync(EdgeHost edge)
    {
        var client = await SmtpWireClient.ConnectAsync(edge.Endpoint);
        Assert.StartsWith("220 ", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        Assert.StartsWith("250 ", await client.CommandAsync("MAIL FROM:<alice@example.org>"), StringComparison.Ordinal);
        Assert.StartsWith("250 ", await client.CommandAsync("RCPT TO:<bob@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("354 ", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        return client;
    }
}
