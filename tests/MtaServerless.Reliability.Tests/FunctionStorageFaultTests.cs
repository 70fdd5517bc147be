using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Testing;
using SmtpServer.Protocol;

namespace MtaServerless.Reliability.Tests;

/// <summary>
/// Ingest (with its first attempt) and Deliver on the local runner's queue engine, with the blob and table
/// services behind a fault proxy: a fault the storage client's retry absorbs, or one that fails the whole run so that
/// the queue redelivers the message (and Ingest's replay queues a delivery task), still ends in one copy at the
/// next hop and nothing left behind. A lost response (the write was done, the client retries it) meets the
/// idempotent paths: the replayed batch finds its rows (leased to the run that retried it), the repeated index
/// or result write finds its row or a changed ETag.
/// </summary>
public sealed class FunctionStorageFaultTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    /// <summary>The pipeline's clients try twice (one retry), so two faults fail a run and leave the rest to the queue.</summary>
    private const int FailsARun = 2;

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private readonly StorageFaultProxy _blob = new(azurite.BlobPort);
    private readonly StorageFaultProxy _queue = new(azurite.QueuePort);
    private readonly StorageFaultProxy _table = new(azurite.TablePort);
    private readonly SmtpSink _sink = SmtpSink.Start();
    private QueueHostJson _hostJson = null!;
    private Microsoft.Extensions.Hosting.IHost? _runner;

    public enum Request
    {
        SpoolRead,
        IndexWrite,
        RecordsBatch,
        ResultWrite,

        /// <summary>The retry's task, enqueued when the hop defers the first attempt.</summary>
        DeliveryEnqueue,

        /// <summary>A Deliver run's lease on the retried recipient.</summary>
        LeaseWrite,
    }

    public async Task InitializeAsync()
    {
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("example.com", RouteAction.Smarthost, "127.0.0.1", _sink.Port, TlsMode.None, AcceptsInbound: true)),
            TableUpdateMode.Replace);
        // A failed run's message is visible again after a second instead of the shipped 30.
        _hostJson = await QueueHostJson.WriteAsync(new Dictionary<string, JsonNode?> { ["visibilityTimeout"] = "00:00:01", ["maxPollingInterval"] = "00:00:00.500" });
    }

    public async Task DisposeAsync()
    {
        // Stopped, not disposed: a run the stop cancelled still logs its end, and a disposed logger factory under it crashes the process.
        if (_runner is not null)
        {
            await _runner.StopAsync();
        }

        _hostJson.Dispose();
        await _sink.DisposeAsync();
        await _blob.DisposeAsync();
        await _queue.DisposeAsync();
        await _table.DisposeAsync();
    }

    [Theory]
    [InlineData(Request.SpoolRead, StorageFault.ServerBusy, 1)]
    [InlineData(Request.SpoolRead, StorageFault.Reset, FailsARun * 2)]
    [InlineData(Request.IndexWrite, StorageFault.Drop, 1)]
    [InlineData(Request.IndexWrite, StorageFault.ServerBusy, FailsARun)]
    [InlineData(Request.RecordsBatch, StorageFault.InternalError, 1)]
    [InlineData(Request.RecordsBatch, StorageFault.ServerBusy, FailsARun)]
    [InlineData(Request.ResultWrite, StorageFault.Reset, 1)]
    [InlineData(Request.IndexWrite, StorageFault.LoseResponse, 1)]
    [InlineData(Request.RecordsBatch, StorageFault.LoseResponse, 1)]
    [InlineData(Request.ResultWrite, StorageFault.LoseResponse, 1)]
    public async Task Functions_StorageFaults_MessageDeliveredOnceAndNothingLeft(Request request, StorageFault fault, int times)
    {
        Fail(request, fault, times);
        var runner = await StartRunnerAsync();

        var recipient = $"faults-{request}-{fault}-{times}@example.com".ToLowerInvariant();
        var id = await InProcessRunner.SubmitAsync(runner, Message(recipient));
        var record = await SettledAsync(id, recipient);

        Assert.True(times == FaultsInjected, $"{FaultsInjected} faults injected: {string.Join(" | ", _table.Requests.Concat(_blob.Requests))}");
        Assert.Equal((DeliveryStatus.Delivered, 1), (record.Status, CopiesAt(recipient)));
    }

    /// <summary>
    /// The hop defers the first attempt, so the recipient goes the retry path (a delivery task, a Deliver run's lease);
    /// faults there end in one copy too.
    /// </summary>
    [Theory]
    [InlineData(Request.DeliveryEnqueue, StorageFault.Drop, 1)]
    [InlineData(Request.DeliveryEnqueue, StorageFault.ServerBusy, FailsARun)]
    [InlineData(Request.DeliveryEnqueue, StorageFault.LoseResponse, 1)]
    [InlineData(Request.LeaseWrite, StorageFault.InternalError, 1)]
    [InlineData(Request.LeaseWrite, StorageFault.ServerBusy, FailsARun)]
    [InlineData(Request.LeaseWrite, StorageFault.LoseResponse, 1)]
    public async Task Functions_StorageFaultsOnTheRetryPath_MessageDeliveredOnceAndNothingLeft(Request request, StorageFault fault, int times)
    {
        await using var deferring = SmtpSink.Start(attempt => attempt == 1 ? SmtpSink.Reply(451, "4.3.0 Try again later") : SmtpResponse.Ok);
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("retry.example", RouteAction.Smarthost, "127.0.0.1", deferring.Port, TlsMode.None, AcceptsInbound: true)),
            TableUpdateMode.Replace);
        Fail(request, fault, times);
        var runner = await StartRunnerAsync(new Dictionary<string, string?> { ["Pipeline:Backoff"] = "00:00:01", ["Pipeline:BackoffJitter"] = "0" });

        var recipient = $"faults-{request}-{fault}-{times}@retry.example".ToLowerInvariant();
        var id = await InProcessRunner.SubmitAsync(runner, Message(recipient));
        var record = await SettledAsync(id, recipient);

        Assert.True(times == FaultsInjected, $"{FaultsInjected} faults injected: {string.Join(" | ", _table.Requests.Concat(_queue.Requests))}");
        Assert.Equal((DeliveryStatus.Delivered, 1), (record.Status, deferring.Accepted.Count(m => m.To.Contains(recipient, StringComparer.Ordinal))));
    }

    /// <summary>
    /// The next hop said 250, and the result write fails for longer than the storage client retries (two
    /// runs' worth of tries): the run keeps trying, within its lease, and the recipient is sent once.
    /// </summary>
    [Fact]
    public async Task Functions_ResultWriteFailsThenRecovers_SentExactlyOnce()
    {
        Fail(Request.ResultWrite, StorageFault.ServerBusy, FailsARun * 2);
        var runner = await StartRunnerAsync();

        var id = await InProcessRunner.SubmitAsync(runner, Message("recovers@example.com"));
        var record = await SettledAsync(id, "recovers@example.com");

        Assert.Equal(FailsARun * 2, FaultsInjected);
        Assert.Equal((DeliveryStatus.Delivered, 1, 1), (record.Status, CopiesAt("recovers@example.com"), _sink.DataAttempts));
    }

    /// <summary>
    /// Writing "delivered" never succeeds: when the lease runs out the run records the recipient as sent
    /// instead, and no later run, even one the sweeper starts, relays it again.
    /// </summary>
    [Fact]
    public async Task Functions_ResultWriteAlwaysFails_NeverSentASecondCopy()
    {
        _table.FailNext(text => text.Contains($"\"Status\":\"{DeliveryStatus.Delivered}\"", StringComparison.Ordinal), StorageFault.ServerBusy, int.MaxValue);
        var runner = await StartRunnerAsync(new Dictionary<string, string?> { ["Pipeline:SweepAfter"] = "00:00:01" });

        var id = await InProcessRunner.SubmitAsync(runner, Message("always@example.com"));
        var sent = await SettledAsync(id, "always@example.com", DeliveryStatus.Sent);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        // The runner's own timer may sweep first; either way a sweeper's task runs again, and writes "sent" again.
        await runner.Services.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);
        var again = await SettledAsync(id, "always@example.com", DeliveryStatus.Sent, after: sent.UpdatedAt);

        Assert.StartsWith("250 ", again.LastReply, StringComparison.Ordinal);
        Assert.Null(again.LeaseOwner);
        Assert.Equal((1, 1), (CopiesAt("always@example.com"), _sink.DataAttempts));
    }

    private int FaultsInjected => _blob.Faulted + _queue.Faulted + _table.Faulted;

    private void Fail(Request request, StorageFault fault, int times)
    {
        const string Account = "/devstoreaccount1/";
        switch (request)
        {
            case Request.SpoolRead:
                _blob.FailNext(text => text.StartsWith($"GET {Account}{StorageNames.SpoolContainer}/", StringComparison.Ordinal), fault, times);
                break;
            case Request.IndexWrite:
                _table.FailNext(text => text.StartsWith($"POST {Account}{StorageNames.DeliveriesTable}?", StringComparison.Ordinal) && text.Contains($"\"PartitionKey\":\"{DueEntry.Partition}\"", StringComparison.Ordinal), fault, times);
                break;
            case Request.RecordsBatch:
                // Ingest writes its records already leased to its first attempt.
                _table.FailNext(text => IsDeliveriesBatch(text, DeliveryStatus.Leased), fault, times);
                break;
            case Request.DeliveryEnqueue:
                _queue.FailNext(text => text.StartsWith($"POST {Account}{StorageNames.DeliveryQueue}/messages", StringComparison.Ordinal), fault, times);
                break;
            case Request.LeaseWrite:
                // An update of existing rows, where Ingest's leased records are inserts.
                _table.FailNext(text => IsDeliveriesBatch(text, DeliveryStatus.Leased) && text.Contains("If-Match", StringComparison.OrdinalIgnoreCase), fault, times);
                break;
            case Request.ResultWrite:
                _table.FailNext(text => IsDeliveriesBatch(text, DeliveryStatus.Delivered), fault, times);
                break;
        }

        // Ingest's records and a run's results are each one entity group transaction; the rows they write tell them apart.
        static bool IsDeliveriesBatch(string text, string status) =>
            text.StartsWith($"POST {Account}$batch", StringComparison.Ordinal) && text.Contains($"\"Status\":\"{status}\"", StringComparison.Ordinal);
    }

    private async Task<Microsoft.Extensions.Hosting.IHost> StartRunnerAsync(Dictionary<string, string?>? settings = null)
    {
        var connection = _table.Route(_queue.Route(_blob.Route(azurite.ConnectionString, "BlobEndpoint"), "QueueEndpoint"), "TableEndpoint");
        return _runner = await InProcessRunner.StartAsync(
            connection,
            new Dictionary<string, string?>(settings ?? [])
            {
                ["MtaStorage:retry:maxRetries"] = (FailsARun - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MtaStorage:retry:delay"] = "00:00:00.100",
                // A short lease, and timeouts it can hold (PipelineOptionsValidator): a hop of at most 4 s.
                ["Pipeline:LeaseDuration"] = "00:00:05",
                ["Pipeline:DnsTimeout"] = "00:00:00.100",
                ["Pipeline:MaxHostsTried"] = "1",
                ["Pipeline:ConnectTimeout"] = "00:00:01",
                ["Pipeline:DataTimeout"] = "00:00:02",
                ["Pipeline:QuitTimeout"] = "00:00:00.500",
                ["Logging:LogLevel:Default"] = "None",
            },
            _hostJson.Path);
    }

    /// <summary>
    /// The record is final (or has the given status, written after <paramref name="after"/>) and no queue holds
    /// anything (invisible messages included): nothing more can happen.
    /// </summary>
    private async Task<DeliveryEntity> SettledAsync(string id, string recipient, string? status = null, DateTimeOffset? after = null)
    {
        using var timeout = new CancellationTokenSource(SettleTimeout);
        while (true)
        {
            var found = await azurite.Storage.Deliveries.GetEntityIfExistsAsync<DeliveryEntity>(id, RecipientKey.Encode(recipient), cancellationToken: timeout.Token);
            if (found is { HasValue: true, Value: { } record }
                && (status is null ? record.IsFinal : record.Status == status && record.UpdatedAt > (after ?? DateTimeOffset.MinValue))
                && (await azurite.Storage.Inbound.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount == 0
                && (await azurite.Storage.Delivery.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount == 0)
            {
                return record;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private int CopiesAt(string recipient) => _sink.Accepted.Count(m => m.To.Contains(recipient, StringComparer.Ordinal));

    private static MimeMessage Message(string recipient)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.org"));
        message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = "storage faults";
        message.Body = new TextPart("plain") { Text = "Once, please.\r\n" };
        return message;
    }
}
