using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>
/// The stage behind the <c>inbound</c> queue: builds the trace header, routes every recipient, writes
/// the per-recipient records, and fans out one delivery task per next hop. Safe to run twice for
/// the same message: existing records win, so a replay never resets a delivered recipient.
/// </summary>
public sealed partial class IngestStage(MtaStorageClients storage, RouteCatalog routes, TimeProvider time, ILogger<IngestStage> logger)
{
    /// <summary>Azure Table Storage takes at most 100 operations in one entity group transaction.</summary>
    private const int MaxBatch = 100;

    public async Task RunAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var table = await routes.GetAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var planned = message.Envelope.Recipients
            .Select(r => Plan(table, r.Address))
            .DistinctBy(p => p.Recipient, StringComparer.Ordinal)
            .ToList();

        var records = await RecordAsync(message.Id, planned.Select(p => p.ToEntity(message.Id, now)).ToList(), cancellationToken).ConfigureAwait(false);
        var pending = records.Where(r => !r.IsFinal).Select(r => r.Recipient).ToHashSet(StringComparer.Ordinal);
        var headers = ReceivedHeader.Build(message);
        foreach (var hop in planned.Where(p => p.Route is not null && pending.Contains(p.Recipient)).GroupBy(p => p.Route!))
        {
            var task = new DeliveryTask(
                message.Id,
                message.Blob,
                hop.Key,
                message.Envelope.MailFrom,
                hop.Select(p => p.Recipient).ToList(),
                headers,
                Attempt: 1,
                FirstAttemptAt: message.Session.ReceivedAt,
                message.Envelope.SmtpUtf8,
                message.TraceParent);
            await storage.Delivery.SendMessageAsync(QueueDocuments.Serialize(task), cancellationToken).ConfigureAwait(false);
        }

        LogIngested(logger, message.Id, planned.Count, pending.Count);
    }

    private static RecipientPlan Plan(RouteTable table, string address)
    {
        if (!MailboxAddress.TryParse(address, out var mailbox))
        {
            return new RecipientPlan(address, null, "550 5.1.3 Bad recipient address syntax");
        }

        var recipient = mailbox.ToString();
        return table.Resolve(mailbox.Domain) switch
        {
            null => new RecipientPlan(recipient, null, "550 5.1.2 No route to the recipient's domain"),
            { Action: RouteAction.Reject } reject => new RecipientPlan(recipient, null, $"550 5.7.1 {reject.RejectText ?? "Recipient rejected"}"),
            var route => new RecipientPlan(recipient, route, null),
        };
    }

    /// <returns>The records as stored: the new ones, or those an earlier run of this message already wrote.</returns>
    private async Task<IReadOnlyList<DeliveryEntity>> RecordAsync(string messageId, IReadOnlyList<DeliveryEntity> rows, CancellationToken cancellationToken)
    {
        var stored = new List<DeliveryEntity>(rows.Count);
        foreach (var chunk in rows.Chunk(MaxBatch))
        {
            try
            {
                await storage.Deliveries.SubmitTransactionAsync(
                    chunk.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)),
                    cancellationToken).ConfigureAwait(false);
                stored.AddRange(chunk);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                LogReplay(logger, messageId);
                foreach (var row in chunk)
                {
                    stored.Add(await AddOrGetAsync(row, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        return stored;
    }

    private async Task<DeliveryEntity> AddOrGetAsync(DeliveryEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Deliveries.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return row;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = await storage.Deliveries.GetEntityAsync<DeliveryEntity>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            return existing.Value;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Message {MessageId} ingested: {Recipients} recipients, {Pending} to deliver")]
    private static partial void LogIngested(ILogger logger, string messageId, int recipients, int pending);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Message {MessageId} was ingested before; keeping the stored recipient states")]
    private static partial void LogReplay(ILogger logger, string messageId);

    private sealed record RecipientPlan(string Recipient, Route? Route, string? Failure)
    {
        public DeliveryEntity ToEntity(string messageId, DateTimeOffset now)
        {
            var row = DeliveryEntity.Queued(messageId, Recipient, Route?.Pattern ?? string.Empty, now);
            if (Failure is not null)
            {
                row.Status = DeliveryStatus.Failed;
                row.LastReply = Failure;
            }

            return row;
        }
    }
}
