using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// The per-recipient state machine on the <c>deliveries</c> table: <c>queued|deferred -> leased ->
/// delivered|deferred|bounced</c>. A task's recipients share the message's partition, so a run takes
/// all its leases in one ETag-conditional entity group transaction and records all its results in
/// another: two runs of one task never split its recipients between them, only the run that wrote
/// the lease sends, and a message costs the same table transactions for one recipient or a hundred.
/// </summary>
public sealed partial class DeliveryLeases(MtaStorageClients storage, IOptions<PipelineOptions> options, ILogger<DeliveryLeases> logger)
{
    /// <summary>A lost race means another run now holds the rows; one re-read shows that, a few cover rows that other runs finished meanwhile.</summary>
    private const int MaxRounds = 3;

    private readonly TimeSpan _duration = options.Value.LeaseDuration;

    /// <returns>The recipients this run now holds, and those another live run holds (with when its lease ends).</returns>
    public async Task<LeaseSet> AcquireAsync(DeliveryTask task, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var owner = Guid.NewGuid().ToString("N");
        var held = new List<Lease>();
        var busy = new List<string>();
        var busyUntil = now;
        var owed = new List<DeliveryEntity>();
        foreach (var chunk in task.Recipients.Distinct(StringComparer.Ordinal).Chunk(MtaStorageClients.MaxTableBatch))
        {
            for (var round = 1; ; round++)
            {
                var records = await ReadAsync(task.Id, chunk, cancellationToken).ConfigureAwait(false);
                if (round == 1)
                {
                    owed.AddRange(records.Where(r => r.IsFinal && r.DsnPending));
                }

                var takeable = new List<Lease>();
                var heldByOthers = new List<string>();
                foreach (var record in records.Where(r => !r.IsFinal))
                {
                    if (record.Status == DeliveryStatus.Leased && record.LeaseExpiresAt > now)
                    {
                        heldByOthers.Add(record.Recipient);
                        busyUntil = record.LeaseExpiresAt.Value > busyUntil ? record.LeaseExpiresAt.Value : busyUntil;
                    }
                    else
                    {
                        takeable.Add(Lease.Take(record, owner, now, now + _duration));
                    }
                }

                if (takeable.Count == 0 || await TryWriteAsync(task.Id, takeable.Select(l => l.Record), cancellationToken).ConfigureAwait(false))
                {
                    held.AddRange(takeable);
                    busy.AddRange(heldByOthers);
                    break;
                }

                if (round == MaxRounds)
                {
                    // Still contended: whoever keeps winning holds them; a follow-up looks again when such a lease would end.
                    busy.AddRange(heldByOthers.Concat(takeable.Select(l => l.Recipient)));
                    busyUntil = now + _duration > busyUntil ? now + _duration : busyUntil;
                    break;
                }
            }
        }

        return new LeaseSet(held, busy, busyUntil, owed);
    }

    /// <summary>Records the results of held recipients and ends their leases.</summary>
    /// <returns>The records written; a recipient whose lease expired and was taken by another run is left out, that run's write stands.</returns>
    public async Task<IReadOnlyList<DeliveryEntity>> CompleteAsync(IReadOnlyList<LeaseResult> results, int attempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        var written = new List<DeliveryEntity>(results.Count);
        foreach (var chunk in results.Chunk(MtaStorageClients.MaxTableBatch))
        {
            foreach (var result in chunk)
            {
                result.Apply(attempt, now);
            }

            var records = chunk.Select(r => r.Lease.Record).ToList();
            if (await TryWriteAsync(records[0].PartitionKey, records, cancellationToken).ConfigureAwait(false))
            {
                written.AddRange(records);
                continue;
            }

            // Rare: some lease in the chunk expired under us. Write one by one so the others' results stand.
            foreach (var record in records)
            {
                if (await TryWriteAsync(record.PartitionKey, [record], cancellationToken).ConfigureAwait(false))
                {
                    written.Add(record);
                }
            }
        }

        return written;
    }

    /// <summary>Gives recipients back untouched when the run fails before it has a result, so the queue's retry of the task can take them at once.</summary>
    public async Task ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        foreach (var chunk in leases.Chunk(MtaStorageClients.MaxTableBatch))
        {
            foreach (var lease in chunk)
            {
                lease.Release();
            }

            await TryWriteAsync(chunk[0].Record.PartitionKey, chunk.Select(l => l.Record), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<IReadOnlyList<DeliveryEntity>> ReadAsync(string messageId, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var byRecipient = new Dictionary<string, DeliveryEntity>(StringComparer.Ordinal);
        if (recipients.Count == 1)
        {
            var found = await storage.Deliveries.GetEntityIfExistsAsync<DeliveryEntity>(messageId, RecipientKey.Encode(recipients[0]), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (found.HasValue)
            {
                byRecipient[found.Value!.Recipient] = found.Value;
            }
        }
        else
        {
            // One query reads the whole partition: as cheap as one point read, and far cheaper than one per recipient.
            await foreach (var record in storage.Deliveries.QueryAsync<DeliveryEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {messageId}"), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                byRecipient[record.Recipient] = record;
            }
        }

        return recipients
            .Select(r => byRecipient.TryGetValue(r, out var record)
                ? record
                : throw new InvalidOperationException($"Delivery task for message {messageId} names recipient {r}, who has no delivery record."))
            .ToList();
    }

    /// <returns>False when any row changed since it was read: then none of them was written.</returns>
    private async Task<bool> TryWriteAsync(string messageId, IEnumerable<DeliveryEntity> records, CancellationToken cancellationToken)
    {
        var batch = records.ToList();
        try
        {
            var responses = await storage.Deliveries.SubmitTransactionAsync(
                batch.Select(r => new TableTransactionAction(TableTransactionActionType.UpdateReplace, r, r.ETag)),
                cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].ETag = responses.Value[i].Headers.ETag ?? batch[i].ETag;
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            LogConcurrentUpdate(logger, messageId, batch.Count);
            return false;
        }
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Delivery records of {MessageId} ({Count} recipients) changed concurrently; keeping the other write")]
    private static partial void LogConcurrentUpdate(ILogger logger, string messageId, int count);
}

/// <param name="PreviousStatus">The status before the lease, restored when the run gives the recipient back.</param>
public sealed record Lease(DeliveryEntity Record, string PreviousStatus)
{
    public string Recipient => Record.Recipient;

    /// <summary>An expired lease was abandoned by a crashed run, which had no result: the recipient counts as deferred.</summary>
    public static Lease Take(DeliveryEntity record, string owner, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(record);
        var previous = record.Status == DeliveryStatus.Leased ? DeliveryStatus.Deferred : record.Status;
        record.Status = DeliveryStatus.Leased;
        record.LeaseOwner = owner;
        record.LeaseExpiresAt = expiresAt;
        record.UpdatedAt = now;
        return new Lease(record, previous);
    }

    public void Release()
    {
        Record.Status = PreviousStatus;
        Record.LeaseOwner = null;
        Record.LeaseExpiresAt = null;
    }
}

/// <summary>What a run learned for one held recipient: its new status and the outcome that decided it.</summary>
public sealed record LeaseResult(Lease Lease, string Status, DeliveryOutcome Outcome)
{
    public void Apply(int attempt, DateTimeOffset now)
    {
        var record = Lease.Record;
        record.Status = Status;
        record.SetOutcome(Outcome);
        record.Attempts = attempt;
        record.UpdatedAt = now;
        record.LeaseOwner = null;
        record.LeaseExpiresAt = null;
        record.DsnPending = Status == DeliveryStatus.Bounced;
    }
}

/// <param name="Busy">Recipients another run holds; they get a follow-up task for when its lease ends.</param>
/// <param name="DsnOwed">Bounced recipients whose DSN a crashed run did not send.</param>
public sealed record LeaseSet(IReadOnlyList<Lease> Held, IReadOnlyList<string> Busy, DateTimeOffset BusyUntil, IReadOnlyList<DeliveryEntity> DsnOwed);
