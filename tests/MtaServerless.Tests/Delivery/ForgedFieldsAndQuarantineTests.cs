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
/// Authentication-Results fields that arrive in our name (RFC 8601 5) reach no copy: Ingest saves the message without them
/// as a blob of its own, next to the spool blob (which stays as accepted), and every delivery task reads that one, so the
/// first attempt, a retry, a mailbox copy and a DSN's returned message all leave them out, however many there are; our
/// users' mail loses them too, but for a trusted network's relay. A DMARC failure on an enforce route is quarantined, final and unreported, and on a headers-only route delivered as any
/// message.
/// </summary>
public sealed class ForgedFieldsAndQuarantineTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Forged = "Authentication-Results: relay.test;\r\n\tdmarc=pass header.from=example.org\r\n";
    private const string Foreign = "Authentication-Results: mx.example.org; spf=pass\r\n";
    private const string Stored = "From: alice@example.org\r\n" + Forged + Foreign + "Subject: hi\r\n\r\nHello\r\n";
    private const string Cleaned = "From: alice@example.org\r\n" + Foreign + "Subject: hi\r\n\r\nHello\r\n";
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(30);

    // An empty zone: every check of the sender finds nothing (none), quickly.
    private readonly LoopbackDnsServer _dns = new();
    private PipelineHarness _pipeline = null!;
    private ScriptedSmtpServer _server = null!;
    private int _deferrals;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Authentication:Enabled"] = "true",
            ["Pipeline:NameServers"] = _dns.Endpoint.ToString(),
        });
        _server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript
        {
            Rcpt = (r, _) => r.StartsWith("gone", StringComparison.Ordinal) ? "550 5.1.1 No such user"
                // Deferred once: its retry comes from the delivery queue, in a task of its own.
                : r.StartsWith("later", StringComparison.Ordinal) && Interlocked.Increment(ref _deferrals) == 1 ? "451 4.3.0 Try again later"
                : "250 2.1.5 Ok",
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _pipeline.DisposeAsync();
        _dns.Dispose();
    }

    [Fact]
    public async Task ForgedField_IsLeftOutOfTheFirstAttempt_TheDsnsReturnedMessage_AndTheCopyTheTasksRead_NotOutOfTheBlob()
    {
        var message = await _pipeline.AcceptAsync(Smarthost(), ["bob@example.com", "gone@example.com"], Encoding.ASCII.GetBytes(Stored));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        // A replay finds the copy written and leaves it as it is.
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var relayed = Encoding.ASCII.GetString(Assert.Single(_server.Accepted).Data);
        Assert.EndsWith("\r\n" + Cleaned, relayed, StringComparison.Ordinal);
        var (_, dsn) = Assert.Single(await _pipeline.DsnsAsync());
        var returned = Assert.IsType<MessagePart>(Assert.IsType<MultipartReport>(dsn.Body)[2]).Message!;
        var fields = returned.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value).ToList();
        Assert.Equal(2, fields.Count);
        Assert.StartsWith("relay.test;\tspf=none", fields[0], StringComparison.Ordinal);
        Assert.Equal("mx.example.org; spf=pass", fields[1]);
        var task = Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).TaskFor([], attempt: 1, delayWarned: false);
        Assert.Equal(StorageNames.CleanedBlobName(message.Blob), task.Blob);
        Assert.Equal(Cleaned, await BlobTextAsync(task.Blob));
        Assert.Equal(Stored, await BlobTextAsync(message.Blob));
    }

    [Fact]
    public async Task ForgedField_IsLeftOutOfARetry()
    {
        var message = await _pipeline.AcceptAsync(Smarthost(), ["later@example.com"], Encoding.ASCII.GetBytes(Stored));
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var retry = await _pipeline.NextTaskAsync(RetryWait);
        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        Assert.Equal((2, StorageNames.CleanedBlobName(message.Blob)), (retry.Attempt, retry.Blob));
        Assert.EndsWith("\r\n" + Cleaned, Encoding.ASCII.GetString(Assert.Single(_server.Accepted).Data), StringComparison.Ordinal);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(message.Id, "later@example.com")).Status);
    }

    [Fact]
    public async Task ForgedField_IsLeftOutOfTheMailboxCopy()
    {
        var message = await _pipeline.AcceptAsync(new Route("example.net", RouteAction.Mailbox), ["bob@example.net"], Encoding.ASCII.GetBytes(Stored));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var copy = await OnlyBlobAsync(StorageNames.MailboxesContainer, "example.net/bob/", message.Id);
        Assert.EndsWith("\r\n" + Cleaned, copy, StringComparison.Ordinal);
    }

    /// <summary>
    /// Forgeries apart from each other cannot be one range each in the delivery task: thousands of them would make it larger
    /// than its queue message and its index row take, and Ingest would fail until the message went to the poison queue.
    /// </summary>
    [Fact]
    public async Task ThousandsOfForgedFieldsApart_AreAllLeftOut_AndTheTaskStaysSmall()
    {
        var between = Enumerable.Range(0, 3000).Select(i => $"X-Between: {i}\r\n").ToList();
        var stored = "From: alice@example.org\r\n" + string.Concat(between.Select(b => Forged + b)) + Foreign + "Subject: hi\r\n\r\nHello\r\n";
        var message = await _pipeline.AcceptAsync(Smarthost(), ["bob@example.com"], Encoding.ASCII.GetBytes(stored));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var relayed = Encoding.ASCII.GetString(Assert.Single(_server.Accepted).Data);
        Assert.EndsWith("\r\nFrom: alice@example.org\r\n" + string.Concat(between) + Foreign + "Subject: hi\r\n\r\nHello\r\n", relayed, StringComparison.Ordinal);
        Assert.DoesNotContain("dmarc=pass header.from=example.org", relayed, StringComparison.Ordinal);
        Assert.InRange(Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).Task.Length, 1, 4096);
    }

    /// <summary>
    /// Our users' mail is not checked, but a client's field in our name is as forged as a stranger's (no DKIM key here, so
    /// Ingest reads the blob for it alone); a trusted network's relay is an MTA of ours, and its fields stay.
    /// </summary>
    [Theory]
    [InlineData("submission", false)]
    [InlineData("logged in on port 25", false)]
    [InlineData("trusted network", true)]
    public async Task OurUsersMail_LosesTheFieldUnlessATrustedNetworkRelayedIt(string client, bool kept)
    {
        var accepted = await _pipeline.AcceptAsync(Smarthost(), ["bob@example.com"], Encoding.ASCII.GetBytes(Stored), client == "trusted network" ? null : PipelineHarness.Sender);
        var message = client switch
        {
            "logged in on port 25" => accepted with { Session = accepted.Session with { Listener = "mx", Submission = false } },
            "trusted network" => accepted with { Session = accepted.Session with { Trusted = true } },
            _ => accepted,
        };

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var relayed = Encoding.ASCII.GetString(Assert.Single(_server.Accepted).Data);
        Assert.EndsWith("\r\n" + (kept ? Stored : Cleaned), relayed, StringComparison.Ordinal);
        Assert.DoesNotContain("\tspf=", relayed, StringComparison.Ordinal);
        var task = Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).TaskFor([], 1, false);
        Assert.Equal(kept ? message.Blob : StorageNames.CleanedBlobName(message.Blob), task.Blob);
    }

    [Fact]
    public async Task WithoutForgedFields_TheTasksReadTheSpoolBlob_AndNoCopyIsMade()
    {
        var message = await _pipeline.AcceptAsync(Smarthost(), ["bob@example.com"], Encoding.ASCII.GetBytes(Cleaned));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        Assert.Equal(message.Blob, Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).TaskFor([], 1, false).Blob);
        Assert.False((await _pipeline.Storage.Spool.GetBlobClient(StorageNames.CleanedBlobName(message.Blob)).ExistsAsync()).Value);
    }

    [Theory]
    [InlineData(RouteAction.Mailbox)]
    [InlineData(RouteAction.Smarthost)]
    public async Task Deliver_DmarcFailureOnAnEnforceRoute_IsQuarantined_Final_WithoutDsnOrRelay(RouteAction action)
    {
        var route = new Route("enforce.example", action, "127.0.0.1", _server.Endpoint.Port, TlsMode.None, DmarcPolicy: DmarcPolicy.Enforce);
        var task = await _pipeline.NewTaskAsync(route, ["carol@enforce.example"], stored: Stored, dsn: _ => (DsnNotify.Success | DsnNotify.Failure, null));

        await _pipeline.Deliver.RunAsync(task with { DmarcFailed = true }, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "carol@enforce.example");
        Assert.Equal((DeliveryStatus.Delivered, "2.7.0", false), (record.Status, record.GetOutcome()!.Status.ToString(), record.DsnPending));
        Assert.StartsWith("Return-Path: <alice@example.org>\r\nDelivered-To: carol@enforce.example\r\n", await OnlyBlobAsync(StorageNames.QuarantineContainer, "enforce.example/carol/", task.Id), StringComparison.Ordinal);
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

    private async Task<string> BlobTextAsync(string blob) =>
        (await _pipeline.Storage.Spool.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString();

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
