using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Every blob the pipeline writes ends its lines with CRLF and holds no bare CR or LF, whatever the
/// platform: the mailbox copies, and the DSNs it spools (a failure report returning the whole message,
/// a success report returning its headers), for any CRLF-lined message the edge could have stored.
/// </summary>
public sealed class BlobLineEndPropertyTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [FuzzProperty(12, Arbitrary = [typeof(StoredMessages)])]
    public void Deliver_AnyStoredMessage_WritesNoBlobWithABareLineBreak(string stored) =>
        DeliverAndCheckAsync(stored).GetAwaiter().GetResult();

    private async Task DeliverAndCheckAsync(string stored)
    {
        await using var pipeline = await PipelineHarness.StartAsync(azurite);
        // Each task makes its route the table's only one, and Deliver reads the table: one task at a time.
        var mailbox = await pipeline.NewTaskAsync(new Route("example.net", RouteAction.Mailbox), ["bob@example.net"], stored: stored, dsn: _ => (DsnNotify.Success, null));
        await pipeline.Deliver.RunAsync(mailbox, CancellationToken.None);
        var rejected = await pipeline.NewTaskAsync(new Route("*", RouteAction.Reject), ["carol@example.com"], stored: stored, ret: DsnReturn.Full);
        await pipeline.Deliver.RunAsync(rejected, CancellationToken.None);

        var mailboxes = pipeline.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        var copy = (await mailboxes.GetBlobClient(MailboxDelivery.BlobName("bob@example.net", mailbox.Id, mailbox.FirstAttemptAt)).DownloadContentAsync()).Value.Content.ToArray();
        AssertNoBareLineBreak(copy, "mailbox copy");
        var dsns = (await pipeline.Storage.Inbound.PeekMessagesAsync(32)).Value.Select(m => QueueDocuments.DeserializeInbound(m.Body.ToString())).ToList();
        Assert.Equal(2, dsns.Count);
        foreach (var dsn in dsns)
        {
            AssertNoBareLineBreak((await pipeline.Storage.Spool.GetBlobClient(dsn.Blob).DownloadContentAsync()).Value.Content.ToArray(), "DSN");
        }
    }

    private static void AssertNoBareLineBreak(byte[] blob, string what)
    {
        for (var i = 0; i < blob.Length; i++)
        {
            var bare = (blob[i] == '\r' && (i + 1 == blob.Length || blob[i + 1] != '\n')) || (blob[i] == '\n' && (i == 0 || blob[i - 1] != '\r'));
            Assert.False(bare, $"The {what} has a bare {(blob[i] == '\r' ? "CR" : "LF")} at octet {i}: {Encoding.UTF8.GetString(blob)}");
        }
    }

    /// <summary>Header sections and bodies as the edge stores them: CRLF lines, 8-bit and UTF-8 text, MIME structure, long lines, a last line with or without its CRLF.</summary>
    public static class StoredMessages
    {
        public static Arbitrary<string> Messages()
        {
            var header = Gen.Elements("Subject: hi", "Subject: Grüße", "From: \"Jöhn\" <john@example.org>", "X-Folded: a\r\n b", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b\"", "Message-ID: <m@example.org>");
            var body = Gen.Elements("text", "--b", "--b--", "Content-Type: text/plain", string.Empty, ".", "8-bit: äöü", new string('x', 998), "=E4=F6 quoted");
            var section = Gen.Zip(header.ListOf(), body.ListOf())
                .Select(m => string.Concat(m.Item1.Select(h => h + "\r\n")) + "\r\n" + string.Concat(m.Item2.Select(b => b + "\r\n")));
            return Gen.Zip(section, Gen.Elements(string.Empty, "no final line end")).Select(m => m.Item1 + m.Item2).ToArbitrary();
        }
    }
}
