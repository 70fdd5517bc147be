using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Ingest;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>The pipeline's stages on a test's Azurite, with the settings a test needs and the queues and tables read back.</summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    public const string Sender = "alice@example.org";
    public const string StoredMessage = "Subject: hi\r\nMessage-ID: <original@example.org>\r\n\r\nHello\r\n";

    private readonly ServiceProvider _services;
    private readonly TimeProvider _time;

    private PipelineHarness(AzuriteFixture azurite, ServiceProvider services, TimeProvider time)
    {
        Storage = azurite.Storage;
        _services = services;
        _time = time;
    }

    public MtaStorageClients Storage { get; }

    public DeliverStage Deliver => _services.GetRequiredService<DeliverStage>();

    public IngestStage Ingest => _services.GetRequiredService<IngestStage>();

    public DeliveryLeases Leases => _services.GetRequiredService<DeliveryLeases>();

    public Sweeper Sweeper => _services.GetRequiredService<Sweeper>();

    public T Service<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public static async Task<PipelineHarness> StartAsync(AzuriteFixture azurite, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        await azurite.Storage.Delivery.ClearMessagesAsync();
        await azurite.Storage.Inbound.ClearMessagesAsync();
        await foreach (var entry in azurite.Storage.Deliveries.QueryAsync<DueEntry>(e => e.PartitionKey == DueEntry.Partition))
        {
            await azurite.Storage.Deliveries.DeleteEntityAsync(entry.PartitionKey, entry.RowKey);
        }

        var values = new Dictionary<string, string?>
        {
            [StorageNames.Connection] = azurite.ConnectionString,
            ["Pipeline:HostName"] = "relay.test",
            ["Pipeline:Backoff"] = "00:00:01",
            ["Pipeline:BackoffJitter"] = "0",
            ["Pipeline:ConnectTimeout"] = "00:00:02",
            ["Pipeline:CommandTimeout"] = "00:00:05",
            ["Pipeline:DnsTimeout"] = "00:00:01",
            ["Pipeline:RouteCacheTtl"] = "00:00:00",
            // Checks of received mail ask DNS about every sender: only the tests of them turn them on, with a DNS server on loopback.
            ["Authentication:Enabled"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = new ServiceCollection().AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddMtaPipeline(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return new PipelineHarness(azurite, services.BuildServiceProvider(), time ?? TimeProvider.System);
    }

    /// <summary>
    /// A message accepted now (by the harness's clock) and ingested, with <paramref name="route"/> as the routes
    /// table's only route: its records, its index entry, and its first attempt, which Ingest makes itself.
    /// </summary>
    /// <returns>The message's delivery task as its index entry keeps it, for <paramref name="recipients"/>.</returns>
    public async Task<DeliveryTask> IngestAsync(Route route, IReadOnlyList<string> recipients)
    {
        var message = await AcceptAsync(route, recipients);
        await Ingest.RunAsync(message, CancellationToken.None);
        var entry = Assert.Single(await IndexAsync(), e => e.MessageId == message.Id);
        return entry.TaskFor(recipients, attempt: 1, delayWarned: false);
    }

    /// <summary>A message accepted now (by the harness's clock) and spooled, with <paramref name="route"/> as the routes table's only route.</summary>
    /// <param name="stored">The spooled bytes; <see cref="StoredMessage"/> by default.</param>
    /// <param name="submittedBy">The login of a submission, whose mail is ours to sign; by default the message came from the internet to the mx listener.</param>
    /// <returns>Its document on the <c>inbound</c> queue, for Ingest.</returns>
    public async Task<InboundMessage> AcceptAsync(Route route, IReadOnlyList<string> recipients, byte[]? stored = null, string? submittedBy = null)
    {
        await UseRouteAsync(route);
        var id = Guid.CreateVersion7().ToString("N");
        var arrived = _time.GetUtcNow();
        var blob = StorageNames.SpoolBlobName(id, arrived);
        await Storage.Spool.GetBlobClient(blob).UploadAsync(new BinaryData(stored ?? System.Text.Encoding.UTF8.GetBytes(StoredMessage)));
        var session = submittedBy is null
            ? new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", arrived, "edge.test")
            : new SessionInfo("192.0.2.1", "client.test", "ESMTPSA", "submission", arrived, "edge.test", AuthUser: submittedBy, Submission: true);
        return new InboundMessage(
            id,
            blob,
            new Envelope(submittedBy ?? Sender, recipients.Select(r => new EnvelopeRecipient(r)).ToList()),
            session,
            HasMessageId: stored is null || Has(stored, "Message-ID:"),
            HasDate: stored is not null && Has(stored, "Date:"));
    }

    /// <summary>Whether the header section has the field, as the edge tells Ingest.</summary>
    private static bool Has(byte[] stored, string field)
    {
        var text = System.Text.Encoding.UTF8.GetString(stored);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return ("\r\n" + (end < 0 ? text : text[..end])).Contains("\r\n" + field, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The sweeper's index, entry by entry.</summary>
    public async Task<IReadOnlyList<DueEntry>> IndexAsync()
    {
        var entries = new List<DueEntry>();
        await foreach (var entry in Storage.Deliveries.QueryAsync<DueEntry>(e => e.PartitionKey == DueEntry.Partition))
        {
            entries.Add(entry);
        }

        return entries;
    }

    /// <summary>
    /// A spooled message with a queued record per recipient and its first delivery task, as Ingest leaves them,
    /// and <paramref name="route"/> as the routes table's only route, which Deliver reads at every attempt.
    /// </summary>
    /// <param name="storedBytes">The spooled bytes when they are not UTF-8 text; otherwise <paramref name="stored"/>.</param>
    public async Task<DeliveryTask> NewTaskAsync(
        Route route,
        IReadOnlyList<string> recipients,
        DateTimeOffset? firstAttempt = null,
        string mailFrom = Sender,
        string stored = StoredMessage,
        bool smtpUtf8 = false,
        DsnReturn? ret = null,
        Func<string, (DsnNotify Notify, OriginalRecipient? Orcpt)>? dsn = null,
        byte[]? storedBytes = null,
        string? body = null)
    {
        await UseRouteAsync(route);
        var arrived = firstAttempt ?? DateTimeOffset.UtcNow;
        var id = Guid.CreateVersion7().ToString("N");
        var blob = StorageNames.SpoolBlobName(id, arrived);
        await Storage.Spool.GetBlobClient(blob).UploadAsync(new BinaryData(storedBytes ?? System.Text.Encoding.UTF8.GetBytes(stored)));
        foreach (var recipient in recipients)
        {
            var record = DeliveryEntity.Queued(id, recipient, route.Pattern, arrived);
            var (notify, orcpt) = dsn?.Invoke(recipient) ?? (DsnNotify.None, null);
            record.SetDsnParameters(notify, orcpt);
            await Storage.Deliveries.AddEntityAsync(record);
        }

        return new DeliveryTask(id, blob, mailFrom, recipients, "Received: from a ([127.0.0.1]) by edge.test; Sat, 28 Nov 2026 14:05:09 +0000\r\n", 1, arrived, smtpUtf8, Ret: ret, Body: body);
    }

    /// <summary>Makes <paramref name="routes"/> the routes table's only routes.</summary>
    public async Task UseRouteAsync(params Route[] routes)
    {
        await foreach (var row in Storage.Routes.QueryAsync<TableEntity>(select: [nameof(TableEntity.PartitionKey), nameof(TableEntity.RowKey)]))
        {
            await Storage.Routes.DeleteEntityAsync(row.PartitionKey, row.RowKey);
        }

        foreach (var route in routes)
        {
            await Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }
    }

    public async Task<DeliveryEntity> RecordAsync(string id, string recipient) =>
        (await Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode(recipient))).Value;

    public async Task<int> QueuedTaskCountAsync() =>
        (await Storage.Delivery.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>Waits for a re-scheduled task to become visible and takes it off the queue.</summary>
    public async Task<DeliveryTask> NextTaskAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            var received = (await Storage.Delivery.ReceiveMessagesAsync(1, cancellationToken: CancellationToken.None)).Value;
            if (received is [var message])
            {
                await Storage.Delivery.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                return QueueDocuments.DeserializeDelivery(message.Body.ToString());
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    /// <summary>The DSNs injected into the spool: their inbound documents and the parsed messages.</summary>
    public async Task<IReadOnlyList<(InboundMessage Document, MimeMessage Message)>> DsnsAsync()
    {
        var found = new List<(InboundMessage, MimeMessage)>();
        foreach (var peeked in (await Storage.Inbound.PeekMessagesAsync(32)).Value)
        {
            var document = QueueDocuments.DeserializeInbound(peeked.Body.ToString());
            var content = (await Storage.Spool.GetBlobClient(document.Blob).DownloadContentAsync()).Value.Content;
            found.Add((document, await MimeMessage.LoadAsync(content.ToStream())));
        }

        return found;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
