using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline.Sweep;

/// <summary>
/// Finishes what delivery tasks left unfinished. A recipient that is not final and whose due time (its
/// next attempt, or the end of its lease) is more than <see cref="PipelineOptions.SweepAfter"/> past had
/// its task poisoned, lost or stuck with a dead host: the sweeper makes a new task for it from the stored
/// state and sends it through the normal path (idempotent, by the leases), where past the maximum lifetime
/// it bounces with a DSN. Nothing else finishes such recipients. A sweep reads the index's due entries and,
/// its messages' rows, up to 15 messages per query: when nothing is due it costs one query.
/// </summary>
public sealed partial class Sweeper(
    MtaStorageClients storage,
    DueIndex index,
    SweepEvents events,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<Sweeper> logger)
{
    /// <summary>
    /// The longest an entry of a message that is not finished waits between two sweeps, and how often the
    /// sweeper refreshes that message's spool blob, whose last-modified time the lifecycle rule counts from.
    /// </summary>
    public static readonly TimeSpan RevisitAfter = TimeSpan.FromHours(12);

    public const int MaxPartitionsPerQuery = 15;

    private readonly TimeSpan _sweepAfter = options.Value.SweepAfter;

    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = new SweepResult();
        var page = new List<DueEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in index.DueAsync(now, cancellationToken).ConfigureAwait(false))
        {
            result.Entries++;
            page.Add(entry);
            if (page.Count >= DueIndex.PageSize)
            {
                await SweepPageAsync(page, seen, now, result, cancellationToken).ConfigureAwait(false);
                page.Clear();
            }
        }

        await SweepPageAsync(page, seen, now, result, cancellationToken).ConfigureAwait(false);
        if (result.Entries > 0)
        {
            LogSwept(logger, result.Entries, result.Finished, result.Redriven);
        }

        return result;
    }

    private async Task SweepPageAsync(IReadOnlyList<DueEntry> page, HashSet<string> seen, DateTimeOffset now, SweepResult result, CancellationToken cancellationToken)
    {
        var rows = await ReadRowsAsync(page.Select(e => e.MessageId).Where(id => !seen.Contains(id)).Distinct(StringComparer.Ordinal).ToList(), cancellationToken).ConfigureAwait(false);
        var changes = new List<DueChange>(page.Count);
        foreach (var entry in page)
        {
            // A second entry of one message (an Ingest replay) goes; the first decides for both.
            changes.Add(seen.Add(entry.MessageId)
                ? await SweepMessageAsync(entry, rows.GetValueOrDefault(entry.MessageId, []), now, result, cancellationToken).ConfigureAwait(false)
                : new DueChange(entry, null));
        }

        await index.ApplyAsync(changes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The recipients' rows of several messages per query (the Table service allows at most
    /// <see cref="MaxPartitionsPerQuery"/> comparisons in a filter): most due messages are finished, and reading them
    /// one query each would cost a transaction per message.
    /// </summary>
    private async Task<Dictionary<string, List<DeliveryEntity>>> ReadRowsAsync(IReadOnlyList<string> messageIds, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, List<DeliveryEntity>>(StringComparer.Ordinal);
        foreach (var chunk in messageIds.Chunk(MaxPartitionsPerQuery))
        {
            var filter = string.Join(" or ", chunk.Select(id => TableClient.CreateQueryFilter($"PartitionKey eq {id}")));
            await foreach (var row in storage.Deliveries.QueryAsync<DeliveryEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                if (!rows.TryGetValue(row.PartitionKey, out var message))
                {
                    rows[row.PartitionKey] = message = [];
                }

                message.Add(row);
            }
        }

        return rows;
    }

    private async Task<DueChange> SweepMessageAsync(DueEntry entry, IReadOnlyList<DeliveryEntity> rows, DateTimeOffset now, SweepResult result, CancellationToken cancellationToken)
    {
        var pending = rows.Where(r => !r.IsFinal).ToList();
        if (pending.Count == 0)
        {
            result.Finished++;
            return new DueChange(entry, null);
        }

        var overdue = pending.Where(r => r.DueAt() + _sweepAfter <= now).ToList();
        var next = now + RevisitAfter;
        if (overdue.Count > 0)
        {
            await RedriveAsync(entry, overdue, now, cancellationToken).ConfigureAwait(false);
            result.Redriven += overdue.Count;
            next = now + _sweepAfter;
        }

        foreach (var row in pending.Except(overdue))
        {
            next = row.DueAt() + _sweepAfter < next ? row.DueAt() + _sweepAfter : next;
        }

        var touchedAt = entry.TouchedAt;
        if (touchedAt is null || touchedAt + RevisitAfter <= now)
        {
            await TouchAsync(entry, cancellationToken).ConfigureAwait(false);
            touchedAt = now;
        }

        return new DueChange(entry, entry.MovedTo(next, touchedAt));
    }

    /// <summary>One task for the message's overdue recipients; Deliver groups them by their routes.</summary>
    private async Task RedriveAsync(DueEntry entry, IReadOnlyList<DeliveryEntity> overdue, DateTimeOffset now, CancellationToken cancellationToken)
    {
        DeliveryTask task;
        try
        {
            task = entry.TaskFor(overdue.Select(r => r.Recipient).ToList(), overdue.Max(r => r.Attempts) + 1, overdue.Any(r => r.DelayWarned)) with { Redriven = true };
        }
        catch (JsonException ex)
        {
            LogUnreadableEntry(logger, entry.MessageId, ex);
            return;
        }

        await storage.Delivery.EnqueueAsync(QueueDocuments.Serialize(task), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        foreach (var row in overdue)
        {
            events.Redriven(entry.MessageId, row, now);
        }
    }

    /// <summary>Keeps the spool blob of a message that is not finished from the lifecycle rule: new metadata is a new last-modified time.</summary>
    private async Task TouchAsync(DueEntry entry, CancellationToken cancellationToken)
    {
        string blob;
        try
        {
            blob = QueueDocuments.DeserializeDelivery(entry.Task).Blob;
        }
        catch (JsonException ex)
        {
            LogUnreadableEntry(logger, entry.MessageId, ex);
            return;
        }

        try
        {
            await storage.Spool.GetBlobClient(blob).SetMetadataAsync(new Dictionary<string, string> { ["pending"] = "true" }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            LogBlobMissing(logger, entry.MessageId, blob);
        }
    }

    [LoggerMessage(EventId = 3601, Level = LogLevel.Information, Message = "Sweep: {Entries} index entries due, {Finished} messages finished, {Redriven} recipients re-driven")]
    private static partial void LogSwept(ILogger logger, int entries, int finished, int redriven);

    [LoggerMessage(EventId = 3602, Level = LogLevel.Error, Message = "The index entry of message {MessageId} holds no readable delivery task")]
    private static partial void LogUnreadableEntry(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(EventId = 3603, Level = LogLevel.Error, Message = "Message {MessageId} has recipients to deliver, but its spool blob {Blob} is gone")]
    private static partial void LogBlobMissing(ILogger logger, string messageId, string blob);
}

/// <summary>What one sweep did.</summary>
public sealed class SweepResult
{
    /// <summary>Index entries that were due.</summary>
    public int Entries { get; set; }

    /// <summary>Messages found with every recipient final, whose entries were removed.</summary>
    public int Finished { get; set; }

    public int Redriven { get; set; }
}
