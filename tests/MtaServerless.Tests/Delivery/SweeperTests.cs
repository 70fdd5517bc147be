using Azure;
using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// The sweeper on a fake clock: a recipient whose task was poisoned or lost is driven again from the
/// stored state alone, delivered once its cause is fixed or bounced with one DSN past the lifetime;
/// recipients whose task is on its way are left alone, and finished messages leave the index.
/// </summary>
public sealed class SweeperTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Recipient = "bob@example.net";
    private static readonly DateTimeOffset Arrival = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan SweepAfter = TimeSpan.FromMinutes(30);
    private static readonly Route Mailbox = new("example.net", RouteAction.Mailbox);
    private readonly FakeTimeProvider _time = new(Arrival);
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Pipeline:Backoff"] = "00:10:00" }, _time);
        await Mailboxes.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await Mailboxes.CreateIfNotExistsAsync();
        await _pipeline.DisposeAsync();
    }

    private Azure.Storage.Blobs.BlobContainerClient Mailboxes => _pipeline.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);

    [Fact]
    public async Task Sweeper_TaskPoisonedThenCauseFixed_DeliversTheRecipientBySweepingAlone()
    {
        var task = await PoisonedTaskAsync();
        await Mailboxes.CreateAsync();

        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        var sweep = await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        QueueExpiry.AssertNeverExpires(Assert.Single((await _pipeline.Storage.Delivery.PeekMessagesAsync(32)).Value));
        var redriven = await _pipeline.NextTaskAsync(TimeSpan.FromSeconds(15));
        await _pipeline.Deliver.RunAsync(redriven, CancellationToken.None);

        Assert.Equal((1, 0, 1), (sweep.Entries, sweep.Finished, sweep.Redriven));
        Assert.Equal((task.Id, 1, true), (redriven.Id, redriven.Attempt, redriven.Redriven));
        Assert.Equal([Recipient], redriven.Recipients);
        Assert.Equal((task.Blob, task.Headers, task.FirstAttemptAt, task.MailFrom), (redriven.Blob, redriven.Headers, redriven.FirstAttemptAt, redriven.MailFrom));
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, Recipient)).Status);
        Assert.Single(await MailboxCopiesAsync());

        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        var after = await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal((1, 1, 0), (after.Entries, after.Finished, after.Redriven));
        Assert.Empty(await _pipeline.IndexAsync());
    }

    [Fact]
    public async Task Sweeper_TaskPoisonedAndCauseNotFixed_BouncesAtTheLifetimeWithOneDsnAndNoMoreAttempts()
    {
        var task = await PoisonedTaskAsync();

        _time.Advance(new PipelineOptions().MaxLifetime + SweepAfter);
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        // Delivering would fail as before (no mailboxes container): the task must not try.
        await _pipeline.Deliver.RunAsync(await _pipeline.NextTaskAsync(TimeSpan.FromSeconds(15)), CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal((DeliveryStatus.Bounced, false), (record.Status, record.DsnPending));
        Assert.Equal("451 4.4.7 Delivery time expired (gave up after 120 hours)", record.LastReply);
        var (dsn, report) = Assert.Single(await _pipeline.DsnsAsync());
        Assert.Equal((string.Empty, PipelineHarness.Sender), (dsn.Envelope.MailFrom, Assert.Single(dsn.Envelope.Recipients).Address));
        Assert.Equal("Undelivered Mail Returned to Sender", report.Subject);
        Assert.Equal(0, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Sweeper_RecipientDeferredWithItsRetryOnTheWay_IsLeftAloneUntilThatRetryIsOverdue()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.IngestAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None), ["bob@example.com"]);
        var retryDue = (await _pipeline.RecordAsync(task.Id, "bob@example.com")).NextAttemptAt!.Value;

        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        var early = await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        var entry = Assert.Single(await _pipeline.IndexAsync());
        _time.SetUtcNow(retryDue + SweepAfter + TimeSpan.FromMinutes(1));
        var late = await _pipeline.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(Arrival + TimeSpan.FromMinutes(10), retryDue);
        Assert.Equal((1, 0), (early.Entries, early.Redriven));
        Assert.Equal(DueEntry.KeyFor(retryDue + SweepAfter, task.Id), entry.RowKey);
        Assert.Equal((1, 1), (late.Entries, late.Redriven));
        // The scheduled retry (still invisible: the queue keeps real time) and the sweeper's task.
        Assert.Equal(2, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Sweeper_MessageUnfinishedForHalfADay_RefreshesItsSpoolBlobOnce()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.IngestAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None), ["bob@example.com"]);
        var spool = _pipeline.Storage.Spool.GetBlobClient(task.Blob);
        var written = (await spool.GetPropertiesAsync()).Value.ETag;

        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        var beforeHalfADay = (await spool.GetPropertiesAsync()).Value.ETag;
        _time.SetUtcNow(Arrival + TimeSpan.FromHours(12) + TimeSpan.FromMinutes(1));
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        var touched = (await spool.GetPropertiesAsync()).Value;
        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(written, beforeHalfADay);
        Assert.NotEqual(written, touched.ETag);
        Assert.Equal("true", touched.Metadata["pending"]);
        Assert.Equal(touched.ETag, (await spool.GetPropertiesAsync()).Value.ETag);
        Assert.Equal(_time.GetUtcNow() - SweepAfter - TimeSpan.FromMinutes(1), Assert.Single(await _pipeline.IndexAsync()).TouchedAt);
    }

    [Fact]
    public async Task Sweeper_NextHopAcceptedButTheResultWasNotWritten_RecordsItDeliveredWithoutSendingAgain()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.IngestAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None), ["bob@example.com"]);
        // The retry's run after the next hop took the message, as a crash before the result's write leaves it.
        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        (record.Status, record.LastReply, record.RemoteHost, record.Attempts) = (DeliveryStatus.Sent, "250 2.0.0 Ok: queued as 42", "127.0.0.1", 2);
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag);

        _time.SetUtcNow(record.NextAttemptAt!.Value + SweepAfter + TimeSpan.FromMinutes(1));
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        await _pipeline.Deliver.RunAsync(await _pipeline.NextTaskAsync(TimeSpan.FromSeconds(15)), CancellationToken.None);

        var delivered = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Delivered, "250 2.0.0 Ok: queued as 42", 3), (delivered.Status, delivered.LastReply, delivered.Attempts));
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Sweeper_IngestRanAgainAfterTheEntryMoved_KeepsOneEntry()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.IngestAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None), ["bob@example.com"]);
        _time.Advance(SweepAfter + TimeSpan.FromMinutes(1));
        await _pipeline.Sweeper.SweepAsync(CancellationToken.None);
        var moved = Assert.Single(await _pipeline.IndexAsync());
        // The same entry written again, as a replay of Ingest writes it.
        await _pipeline.Storage.Deliveries.AddEntityAsync(DueEntry.For(task with { Recipients = [] }, Arrival + SweepAfter));

        var sweep = await _pipeline.Sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal((1, 0), (sweep.Entries, sweep.Redriven));
        Assert.Equal(moved.RowKey, Assert.Single(await _pipeline.IndexAsync()).RowKey);
    }

    /// <summary>
    /// A message whose every delivery run fails (no mailboxes container): Ingest's first attempt fails, so does
    /// its replay's task five times, and the queue engine poisons the task; it is then gone from <c>delivery</c>.
    /// </summary>
    private async Task<DeliveryTask> PoisonedTaskAsync()
    {
        var message = await _pipeline.AcceptAsync(Mailbox, [Recipient]);
        await Mailboxes.DeleteAsync();
        await Assert.ThrowsAsync<RequestFailedException>(() => _pipeline.Ingest.RunAsync(message, CancellationToken.None));
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        var task = await _pipeline.NextTaskAsync(TimeSpan.FromSeconds(15));
        for (var dequeue = 1; dequeue <= 5; dequeue++)
        {
            await Assert.ThrowsAsync<RequestFailedException>(() => _pipeline.Deliver.RunAsync(task, CancellationToken.None));
        }

        Assert.Equal((DeliveryStatus.Queued, 0), ((await _pipeline.RecordAsync(task.Id, Recipient)).Status, await _pipeline.QueuedTaskCountAsync()));
        return task;
    }

    private async Task<List<string>> MailboxCopiesAsync()
    {
        var copies = new List<string>();
        await foreach (var blob in Mailboxes.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "example.net/bob/", CancellationToken.None))
        {
            copies.Add(blob.Name);
        }

        return copies;
    }
}
