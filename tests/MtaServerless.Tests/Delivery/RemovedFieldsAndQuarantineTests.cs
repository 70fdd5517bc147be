using System.Text;
using Azure.Storage.Blobs.Models;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// What Deliver does with what Ingest's checks decided, at any attempt: the ranges a task removes (forged
/// Authentication-Results fields in our name) are left out of the relayed copy, the mailbox copy and the message a DSN
/// returns, while the spool blob stays as accepted; a DMARC failure on an enforce route is quarantined, final and
/// unreported, and on a headers-only route delivered as any message.
/// </summary>
public sealed class RemovedFieldsAndQuarantineTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Forged = "Authentication-Results: relay.test;\r\n\tdmarc=pass header.from=example.org\r\n";
    private const string Foreign = "Authentication-Results: mx.example.org; spf=pass\r\n";
    private const string Stored = "From: alice@example.org\r\n" + Forged + Foreign + "Subject: hi\r\n\r\nHello\r\n";
    private static readonly IReadOnlyList<ByteRange> ForgedRange = [new ByteRange("From: alice@example.org\r\n".Length, Forged.Length)];
    private PipelineHarness _pipeline = null!;
    private ScriptedSmtpServer _server = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite);
        _server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (r, _) => r.StartsWith("gone", StringComparison.Ordinal) ? "550 5.1.1 No such user" : "250 2.1.5 Ok" });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_RemovedRanges_AreLeftOutOfTheRelayedCopy_AndTheDsnsReturnedMessage_NotOutOfTheBlob()
    {
        var task = await _pipeline.NewTaskAsync(Smarthost(), ["bob@example.com", "gone@example.com"], stored: Stored);

        await _pipeline.Deliver.RunAsync(task with { Removed = ForgedRange }, CancellationToken.None);

        var relayed = Encoding.ASCII.GetString(Assert.Single(_server.Accepted).Data);
        Assert.EndsWith("From: alice@example.org\r\n" + Foreign + "Subject: hi\r\n\r\nHello\r\n", relayed, StringComparison.Ordinal);
        var (_, dsn) = Assert.Single(await _pipeline.DsnsAsync());
        var returned = Assert.IsType<MessagePart>(Assert.IsType<MultipartReport>(dsn.Body)[2]).Message!;
        Assert.Equal(["mx.example.org; spf=pass"], returned.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value));
        Assert.Equal(Stored, (await _pipeline.Storage.Spool.GetBlobClient(task.Blob).DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Deliver_RemovedRanges_AreLeftOutOfTheMailboxCopy()
    {
        var task = await _pipeline.NewTaskAsync(new Route("example.net", RouteAction.Mailbox), ["bob@example.net"], stored: Stored);

        await _pipeline.Deliver.RunAsync(task with { Removed = ForgedRange }, CancellationToken.None);

        var copy = await OnlyBlobAsync(StorageNames.MailboxesContainer, "example.net/bob/", task.Id);
        Assert.EndsWith(task.Headers + "From: alice@example.org\r\n" + Foreign + "Subject: hi\r\n\r\nHello\r\n", copy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RouteAction.Mailbox)]
    [InlineData(RouteAction.Smarthost)]
    public async Task Deliver_DmarcFailureOnAnEnforceRoute_IsQuarantined_Final_WithoutDsnOrRelay(RouteAction action)
    {
        var route = new Route("enforce.example", action, "127.0.0.1", _server.Endpoint.Port, TlsMode.None, DmarcPolicy: DmarcPolicy.Enforce);
        var task = await _pipeline.NewTaskAsync(route, ["carol@enforce.example"], stored: Stored, dsn: _ => (DsnNotify.Success | DsnNotify.Failure, null));

        await _pipeline.Deliver.RunAsync(task with { DmarcFailed = true, Removed = ForgedRange }, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "carol@enforce.example");
        Assert.Equal((DeliveryStatus.Delivered, "2.7.0", false), (record.Status, record.GetOutcome()!.Status.ToString(), record.DsnPending));
        Assert.StartsWith("Return-Path: <alice@example.org>\r\nDelivered-To: carol@enforce.example\r\n", await OnlyBlobAsync(StorageNames.QuarantineContainer, "enforce.example/carol/", task.Id), StringComparison.Ordinal);
        Assert.DoesNotContain(Forged, await OnlyBlobAsync(StorageNames.QuarantineContainer, "enforce.example/carol/", task.Id), StringComparison.Ordinal);
        Assert.Empty(_server.Accepted);
        Assert.Null(await OnlyBlobAsync(StorageNames.MailboxesContainer, "enforce.example/carol/", task.Id));
        Assert.Empty(await _pipeline.DsnsAsync());
    }

    [Fact]
    public async Task Deliver_DmarcFailureOnAHeadersOnlyRoute_IsDelivered()
    {
        var task = await _pipeline.NewTaskAsync(new Route("headers.example", RouteAction.Mailbox), ["dave@headers.example"], stored: Stored);

        await _pipeline.Deliver.RunAsync(task with { DmarcFailed = true }, CancellationToken.None);

        Assert.NotNull(await OnlyBlobAsync(StorageNames.MailboxesContainer, "headers.example/dave/", task.Id));
        Assert.Null(await OnlyBlobAsync(StorageNames.QuarantineContainer, "headers.example/dave/", task.Id));
    }

    private Route Smarthost() => new("*", RouteAction.Smarthost, "127.0.0.1", _server.Endpoint.Port, TlsMode.None);

    /// <summary>The one copy of the message in a recipient's folder (<paramref name="prefix"/>); null when there is none.</summary>
    private async Task<string?> OnlyBlobAsync(string container, string prefix, string messageId)
    {
        var client = _pipeline.Storage.Blobs.GetBlobContainerClient(container);
        var names = new List<string>();
        await foreach (var blob in client.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
        {
            if (blob.Name.EndsWith($"-{messageId}.eml", StringComparison.Ordinal))
            {
                names.Add(blob.Name);
            }
        }

        return names.Count == 0 ? null : (await client.GetBlobClient(Assert.Single(names)).DownloadContentAsync()).Value.Content.ToString();
    }
}
