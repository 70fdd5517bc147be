using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// The per-recipient state machine on the <c>deliveries</c> table: <c>queued|deferred|sent -> leased ->
/// delivered|deferred|bounced</c>, and <c>leased -> sent</c> when the next hop accepted the recipient but
/// the result could not be written (a <c>sent</c> recipient is leased again only to be recorded
/// delivered). A task's recipients share the message's partition, so a run takes all its leases in one
/// ETag-conditional entity group transaction and records all its results in another: two runs of one
/// task never split its recipients between them, only the run that wrote the lease sends, and a message
/// costs the same table transactions for one recipient or a hundred.
/// </summary>
public sealed partial class DeliveryLeases(MtaStorageClients storage, IOptions<PipelineOptions> options, TimeProvider time, ILogger<DeliveryLeases> logger)
{
    /// <summary>A lost race means another run now holds the rows; one re-read shows that, a few cover rows that other runs finished meanwhile.</summary>
    private const int MaxRounds = 3;

    /// <summary>The first wait after a failed result write; it doubles up to <see cref="MaxRetryDelay"/>, until the lease ends.</summary>
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    /// <summary>A try started at or after the lease's end still gets this long: a late write is safe (its ETag fails if another run took over).</summary>
    private static readonly TimeSpan LastTry = TimeSpan.FromSeconds(5);

    private readonly TimeSpan _duration = options.Value.LeaseDuration;

    private enum WriteOutcome
    {
        Written,

        /// <summary>A row changed since it was read: another run holds it now.</summary>
        Conflict,

        /// <summary>Storage kept failing until the deadline.</summary>
        Failed,
    }

    /// <returns>The recipients this run now holds (until when), and those another live run holds (with when its lease ends).</returns>
    public async Task<LeaseSet> AcquireAsync(DeliveryTask task, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var owner = Guid.NewGuid().ToString("N");
        var heldUntil = now + _duration;
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
                        takeable.Add(Lease.Take(record, owner, now, heldUntil));
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

        return new LeaseSet(held, heldUntil, busy, busyUntil, owed);
    }

    /// <summary>
    /// Leases records not written yet to the run that is about to write them: Ingest inserts its recipients' rows
    /// already held, so that the first attempt needs neither a task on the queue nor a read and a lease write.
    /// </summary>
    /// <returns>The leases; a lease counts only once its row is in the table, with the ETag the insert returned.</returns>
    public LeaseSet TakeNew(IReadOnlyList<DeliveryEntity> records, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(records);
        var owner = Guid.NewGuid().ToString("N");
        var heldUntil = now + _duration;
        return new LeaseSet(records.Select(r => Lease.Take(r, owner, now, heldUntil)).ToList(), heldUntil, [], now, []);
    }

    /// <summary>
    /// Records the results of held recipients and ends their leases. A write that fails is tried again, with
    /// backoff, until <paramref name="deadline"/> (the lease's end). Recipients the next hop accepted whose result
    /// still could not be written are recorded <see cref="DeliveryStatus.Sent"/> instead, one row at a time, so
    /// that no run relays them again because our own write failed.
    /// </summary>
    /// <returns>What was written; a recipient whose lease expired and was taken by another run is left out, that run's write stands.</returns>
    public async Task<Completion> CompleteAsync(IReadOnlyList<LeaseResult> results, int attempt, DateTimeOffset now, DateTimeOffset deadline)
    {
        ArgumentNullException.ThrowIfNull(results);
        var written = new List<DeliveryEntity>(results.Count);
        var failed = new List<LeaseResult>();
        foreach (var chunk in results.Chunk(MtaStorageClients.MaxTableBatch))
        {
            foreach (var result in chunk)
            {
                result.Apply(attempt, now);
            }

            var records = chunk.Select(r => r.Lease.Record).ToList();
            switch (await WriteUntilAsync(records, deadline).ConfigureAwait(false))
            {
                case WriteOutcome.Written:
                    written.AddRange(records);
                    break;
                case WriteOutcome.Failed:
                    failed.AddRange(chunk);
                    break;
                default:
                    // Rare: some lease in the chunk expired under us. Write one by one so the others' results stand.
                    foreach (var result in chunk)
                    {
                        switch (await WriteUntilAsync([result.Lease.Record], deadline).ConfigureAwait(false))
                        {
                            case WriteOutcome.Written:
                                written.Add(result.Lease.Record);
                                break;
                            case WriteOutcome.Failed:
                                failed.Add(result);
                                break;
                        }
                    }

                    break;
            }
        }

        var sent = new List<DeliveryEntity>();
        foreach (var result in failed.Where(r => r.Status == DeliveryStatus.Delivered))
        {
            var marker = result with { Status = DeliveryStatus.Sent, NextAttemptAt = now };
            marker.Apply(attempt, now);
            if (await TryMarkAsync(marker.Lease.Record).ConfigureAwait(false))
            {
                sent.Add(marker.Lease.Record);
            }
        }

        var unrecorded = failed.Where(r => !sent.Contains(r.Lease.Record)).ToList();
        if (failed.Count > 0)
        {
            LogNotRecorded(logger, failed[0].Lease.Record.PartitionKey, failed.Count, sent.Count, unrecorded.Count);
        }

        return new Completion(written, sent, unrecorded);
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

    /// <summary>Tries a write again after storage failures (not after a conflict), with backoff, until the deadline.</summary>
    private async Task<WriteOutcome> WriteUntilAsync(IReadOnlyList<DeliveryEntity> records, DateTimeOffset deadline)
    {
        for (var delay = FirstRetryDelay; ; delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay)
        {
            var remaining = deadline - time.GetUtcNow();
            using var attempt = new CancellationTokenSource(remaining > LastTry ? remaining : LastTry, time);
            try
            {
                return await TryWriteAsync(records[0].PartitionKey, records, attempt.Token).ConfigureAwait(false) ? WriteOutcome.Written : WriteOutcome.Conflict;
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                var retry = time.GetUtcNow() + delay < deadline;
                LogWriteFailed(logger, records[0].PartitionKey, records.Count, retry, ex);
                if (!retry)
                {
                    return WriteOutcome.Failed;
                }
            }

            await Task.Delay(delay, time).ConfigureAwait(false);
        }
    }

    /// <summary>One try, after the lease: its ETag still makes it safe, and it is the last chance to stop the recipient being sent again.</summary>
    private async Task<bool> TryMarkAsync(DeliveryEntity record)
    {
        using var attempt = new CancellationTokenSource(LastTry, time);
        try
        {
            return await TryWriteAsync(record.PartitionKey, [record], attempt.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            LogWriteFailed(logger, record.PartitionKey, 1, false, ex);
            return false;
        }
    }

    private static bool IsStorageFailure(Exception ex) => ex is RequestFailedException or IOException or OperationCanceledException or AggregateException;

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

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Writing the results of {MessageId} ({Count} recipients) failed; trying again: {Retry}")]
    private static partial void LogWriteFailed(ILogger logger, string messageId, int count, bool retry, Exception exception);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "Results of {MessageId} could not be written for {Count} recipients: {Sent} accepted by the next hop are recorded as sent (never relayed again), {Unrecorded} keep their lease until it ends")]
    private static partial void LogNotRecorded(ILogger logger, string messageId, int count, int sent, int unrecorded);
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
    /// <summary>When the recipient is due again: its retry's time when deferred.</summary>
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>A delay-warning DSN reports this recipient.</summary>
    public bool DelayWarned { get; init; }

    public void Apply(int attempt, DateTimeOffset now)
    {
        var record = Lease.Record;
        record.Status = Status;
        record.SetOutcome(Outcome);
        // Never backwards: a late or replayed task may carry a lower attempt number than the record has seen.
        record.Attempts = Math.Max(record.Attempts, attempt);
        record.NextAttemptAt = NextAttemptAt ?? record.NextAttemptAt;
        record.DelayWarned |= DelayWarned;
        record.UpdatedAt = now;
        record.LeaseOwner = null;
        record.LeaseExpiresAt = null;
        record.DsnPending = Status == DeliveryStatus.Bounced;
    }
}

/// <param name="HeldUntil">When this run's leases end: it starts no hop that could outlast them.</param>
/// <param name="Busy">Recipients another run holds; they get a follow-up task for when its lease ends.</param>
/// <param name="DsnOwed">Bounced recipients whose DSN a crashed run did not send.</param>
public sealed record LeaseSet(IReadOnlyList<Lease> Held, DateTimeOffset HeldUntil, IReadOnlyList<string> Busy, DateTimeOffset BusyUntil, IReadOnlyList<DeliveryEntity> DsnOwed);

/// <param name="Written">Results recorded as decided.</param>
/// <param name="MarkedSent">Recipients the next hop accepted whose result could not be written, recorded as sent instead.</param>
/// <param name="Unrecorded">Results nothing could be written for; their recipients stay leased until the lease ends.</param>
public sealed record Completion(IReadOnlyList<DeliveryEntity> Written, IReadOnlyList<DeliveryEntity> MarkedSent, IReadOnlyList<LeaseResult> Unrecorded);
