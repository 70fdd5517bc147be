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
/// delivered|deferred|bounced</c>, every step an ETag-conditional update. Only the run that wrote the
/// lease may send to the recipient, so two runs of one task never send twice.
/// </summary>
public sealed partial class DeliveryLeases(MtaStorageClients storage, IOptions<PipelineOptions> options, ILogger<DeliveryLeases> logger)
{
    private readonly TimeSpan _duration = options.Value.LeaseDuration;

    /// <returns>The recipients this run now holds, and those another live run holds (with when its lease ends).</returns>
    public async Task<LeaseSet> AcquireAsync(DeliveryTask task, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var owner = Guid.NewGuid().ToString("N");
        var held = new List<Lease>();
        var busy = new List<string>();
        var busyUntil = now;
        foreach (var recipient in task.Recipients.Distinct(StringComparer.Ordinal))
        {
            var found = await storage.Deliveries.GetEntityIfExistsAsync<DeliveryEntity>(task.Id, RecipientKey.Encode(recipient), cancellationToken: cancellationToken).ConfigureAwait(false);
            var record = found.HasValue ? found.Value! : throw new InvalidOperationException($"Delivery task for message {task.Id} names recipient {recipient}, who has no delivery record.");
            if (record.IsFinal)
            {
                continue;
            }

            if (record.Status == DeliveryStatus.Leased && record.LeaseExpiresAt > now)
            {
                busy.Add(recipient);
                busyUntil = record.LeaseExpiresAt.Value > busyUntil ? record.LeaseExpiresAt.Value : busyUntil;
                continue;
            }

            var previous = record.Status == DeliveryStatus.Leased ? DeliveryStatus.Deferred : record.Status;
            record.Status = DeliveryStatus.Leased;
            record.LeaseOwner = owner;
            record.LeaseExpiresAt = now + _duration;
            record.UpdatedAt = now;
            if (await TryWriteAsync(record, cancellationToken).ConfigureAwait(false))
            {
                held.Add(new Lease(record, previous));
            }
            else
            {
                // Another run wrote the record between our read and our write: it holds the recipient now.
                busy.Add(recipient);
                busyUntil = now + _duration > busyUntil ? now + _duration : busyUntil;
            }
        }

        return new LeaseSet(held, busy, busyUntil);
    }

    /// <summary>Records the result of a held recipient and ends the lease.</summary>
    /// <returns>False when the lease had expired and another run took the recipient; its write stands.</returns>
    public async Task<bool> CompleteAsync(Lease lease, string status, string reply, string remoteHost, int attempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var record = lease.Record;
        record.Status = status;
        record.LastReply = reply;
        record.RemoteHost = remoteHost.Length > 0 ? remoteHost : null;
        record.Attempts = attempt;
        record.UpdatedAt = now;
        record.LeaseOwner = null;
        record.LeaseExpiresAt = null;
        return await TryWriteAsync(record, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives recipients back untouched when the run fails before it has a result, so the queue's retry of the task can take them at once.</summary>
    public async Task ReleaseAsync(IEnumerable<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        foreach (var lease in leases)
        {
            lease.Record.Status = lease.PreviousStatus;
            lease.Record.LeaseOwner = null;
            lease.Record.LeaseExpiresAt = null;
            await TryWriteAsync(lease.Record, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> TryWriteAsync(DeliveryEntity record, CancellationToken cancellationToken)
    {
        try
        {
            var response = await storage.Deliveries.UpdateEntityAsync(record, record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            record.ETag = response.Headers.ETag ?? record.ETag;
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            LogConcurrentUpdate(logger, record.PartitionKey, record.Recipient);
            return false;
        }
    }

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Delivery record of {MessageId} for {Recipient} changed concurrently; keeping the other write")]
    private static partial void LogConcurrentUpdate(ILogger logger, string messageId, string recipient);
}

/// <param name="PreviousStatus">The status before the lease, restored when the run gives the recipient back.</param>
public sealed record Lease(DeliveryEntity Record, string PreviousStatus)
{
    public string Recipient => Record.Recipient;
}

/// <param name="Busy">Recipients another run holds; they get a follow-up task for when its lease ends.</param>
public sealed record LeaseSet(IReadOnlyList<Lease> Held, IReadOnlyList<string> Busy, DateTimeOffset BusyUntil);
