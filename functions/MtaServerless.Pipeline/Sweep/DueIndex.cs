using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Sweep;

/// <summary>
/// Reads and writes the sweeper's index (<see cref="DueEntry"/>). Its entries share one partition, so
/// the changes of a whole sweep go in entity group transactions of up to 100 operations: removing the
/// entry of a finished message costs a hundredth of a transaction.
/// </summary>
public sealed partial class DueIndex(MtaStorageClients storage, ILogger<DueIndex> logger)
{
    /// <summary>A query page; also how many changes a sweep collects before writing them.</summary>
    public const int PageSize = 1000;

    /// <summary>
    /// Adds a message's entry. Its key comes from the message's arrival, so a replay of Ingest finds it
    /// written; one moved by the sweeper meanwhile gets a second, which the next sweep removes.
    /// </summary>
    public async Task AddAsync(DeliveryTask task, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        try
        {
            await storage.Deliveries.AddEntityAsync(DueEntry.For(task, dueAt), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            LogAlreadyIndexed(logger, task.Id);
        }
    }

    /// <summary>The entries due before <paramref name="now"/>, oldest first: a range query, empty when nothing is due.</summary>
    public IAsyncEnumerable<DueEntry> DueAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        storage.Deliveries.QueryAsync<DueEntry>(
            TableClient.CreateQueryFilter($"PartitionKey eq {DueEntry.Partition} and RowKey lt {DueEntry.DueBefore(now)}"),
            PageSize,
            cancellationToken: cancellationToken);

    /// <summary>
    /// Writes a sweep's changes: each entry removed, or moved to its next time (the new row first, then
    /// the old one removed, so that a failure in between leaves two entries, never none). Changes that
    /// lose a race with another sweep are dropped: that sweep's write stands.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<DueChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var batch = new List<DueChange>();
        var operations = 0;
        foreach (var change in changes)
        {
            var actions = change.Actions().Count;
            if (operations + actions > MtaStorageClients.MaxTableBatch)
            {
                await SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
                operations = 0;
            }

            batch.Add(change);
            operations += actions;
        }

        await SubmitAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    private async Task SubmitAsync(IReadOnlyList<DueChange> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            await storage.Deliveries.SubmitTransactionAsync(batch.SelectMany(c => c.Actions()), cancellationToken).ConfigureAwait(false);
        }
        catch (TableTransactionFailedException ex)
        {
            // One change failed the whole transaction; alone, each of the others goes through.
            LogBatchFailed(logger, batch.Count, ex.FailedTransactionActionIndex, ex);
            foreach (var change in batch)
            {
                try
                {
                    await storage.Deliveries.SubmitTransactionAsync(change.Actions(), cancellationToken).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException failed) when (failed.Status is 404 or 412)
                {
                    LogChangedMeanwhile(logger, change.Entry.MessageId);
                }
            }
        }
    }

    [LoggerMessage(EventId = 3611, Level = LogLevel.Debug, Message = "Message {MessageId} is in the sweeper's index already (Ingest runs again)")]
    private static partial void LogAlreadyIndexed(ILogger logger, string messageId);

    [LoggerMessage(EventId = 3612, Level = LogLevel.Information, Message = "A batch of {Count} index changes failed at action {Index}; writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, int? index, Exception exception);

    [LoggerMessage(EventId = 3613, Level = LogLevel.Information, Message = "The index entry of message {MessageId} changed meanwhile; keeping the other sweep's write")]
    private static partial void LogChangedMeanwhile(ILogger logger, string messageId);
}

/// <summary>What a sweep does with one due entry.</summary>
/// <param name="Next">Where the entry goes next; null to remove it (its message is finished, or it is a second entry of one).</param>
public sealed record DueChange(DueEntry Entry, DueEntry? Next)
{
    public IReadOnlyList<TableTransactionAction> Actions() => Next switch
    {
        null => [new(TableTransactionActionType.Delete, Entry, Entry.ETag)],
        { RowKey: var key } when key == Entry.RowKey => [new(TableTransactionActionType.UpdateReplace, Next, Entry.ETag)],
        _ => [new(TableTransactionActionType.UpsertReplace, Next), new(TableTransactionActionType.Delete, Entry, Entry.ETag)],
    };
}
