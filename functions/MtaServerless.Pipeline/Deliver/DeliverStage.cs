using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Retry;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// The stage behind the <c>delivery</c> queue: relays to the task's next hop the recipients that
/// are not final yet, records each result, and re-schedules the deferred ones with a visibility
/// timeout from the backoff schedule.
/// </summary>
public sealed partial class DeliverStage(
    MtaStorageClients storage,
    SmarthostRelay relay,
    BackoffSchedule backoff,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<DeliverStage> logger)
{
    /// <summary>A scheduled retry must never be dropped by the queue itself; expiry is decided from the first-attempt time.</summary>
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly TimeSpan _maxLifetime = options.Value.MaxLifetime;

    public async Task RunAsync(DeliveryTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var pending = await PendingRecordsAsync(task, cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            LogNothingPending(logger, task.Id, task.Attempt);
            return;
        }

        var result = task.Route.Action switch
        {
            RouteAction.Smarthost => await RelayAsync(task, pending.Keys.ToList(), cancellationToken).ConfigureAwait(false),
            // MX and mailbox delivery are not built yet: failing the task keeps it in the poison queue, replayable, instead of dropping it.
            _ => throw new NotSupportedException($"Route action '{RouteNames.ToName(task.Route.Action)}' is not supported by this version."),
        };

        var now = time.GetUtcNow();
        var expired = now - task.FirstAttemptAt >= _maxLifetime;
        foreach (var outcome in result.Outcomes.Where(o => !o.IsTransient || expired))
        {
            var status = outcome.IsSuccess ? DeliveryStatus.Delivered : DeliveryStatus.Failed;
            var reply = outcome.IsTransient ? $"{outcome.Reply} (gave up after {_maxLifetime.TotalHours:0.#} hours)" : outcome.Reply;
            await UpdateAsync(pending[outcome.Recipient], status, reply, result.RemoteHost, task.Attempt, now, cancellationToken).ConfigureAwait(false);
        }

        var deferred = result.Outcomes.Where(o => o.IsTransient && !expired).ToList();
        if (deferred.Count == 0)
        {
            return;
        }

        // Schedule the retry before recording "deferred": a crash in between leaves a duplicate task, never a recipient without one.
        var delay = await RescheduleAsync(task, deferred.Select(o => o.Recipient).ToList(), now, cancellationToken).ConfigureAwait(false);
        foreach (var outcome in deferred)
        {
            await UpdateAsync(pending[outcome.Recipient], DeliveryStatus.Deferred, outcome.Reply, result.RemoteHost, task.Attempt, now, cancellationToken).ConfigureAwait(false);
        }

        LogDeferred(logger, task.Id, deferred.Count, task.Attempt, delay);
    }

    private async Task<Dictionary<string, DeliveryEntity>> PendingRecordsAsync(DeliveryTask task, CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, DeliveryEntity>(StringComparer.Ordinal);
        foreach (var recipient in task.Recipients)
        {
            var record = await storage.Deliveries.GetEntityIfExistsAsync<DeliveryEntity>(task.Id, RecipientKey.Encode(recipient), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!record.HasValue)
            {
                throw new InvalidOperationException($"Delivery task for message {task.Id} names recipient {recipient}, who has no delivery record.");
            }

            if (!record.Value!.IsFinal)
            {
                pending[recipient] = record.Value;
            }
        }

        return pending;
    }

    private async Task<RelayResult> RelayAsync(DeliveryTask task, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        var file = new FileStream(
            Path.Combine(Path.GetTempPath(), $"mta-{task.Id}-{Guid.NewGuid():N}.eml"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            bufferSize: 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await using (file.ConfigureAwait(false))
        {
            // A local copy lets MimeKit parse and seek without holding the message in memory or reading the blob twice.
            await storage.Spool.GetBlobClient(task.Blob).DownloadToAsync(file, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return await relay.RelayAsync(task.Route, task.MailFrom, recipients, task.Headers, file, task.SmtpUtf8, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TimeSpan> RescheduleAsync(DeliveryTask task, IReadOnlyList<string> recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var remaining = task.FirstAttemptAt + _maxLifetime - now;
        var delay = backoff.DelayAfter(task.Attempt, Random.Shared.NextDouble());
        if (delay > remaining)
        {
            // One last attempt at the end of the lifetime rather than a silent give-up before it.
            delay = remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
        }

        var next = task with { Recipients = recipients, Attempt = task.Attempt + 1 };
        await storage.Delivery.SendMessageAsync(QueueDocuments.Serialize(next), delay, NeverExpires, cancellationToken).ConfigureAwait(false);
        return delay;
    }

    private async Task UpdateAsync(DeliveryEntity record, string status, string reply, string remoteHost, int attempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        record.Status = status;
        record.LastReply = reply;
        record.RemoteHost = remoteHost;
        record.Attempts = attempt;
        record.UpdatedAt = now;
        try
        {
            await storage.Deliveries.UpdateEntityAsync(record, record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            // Another run of this task changed the record since we read it; its write stands.
            LogConcurrentUpdate(logger, record.PartitionKey, record.Recipient);
        }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Delivery task for {MessageId} attempt {Attempt}: every recipient is already final")]
    private static partial void LogNothingPending(ILogger logger, string messageId, int attempt);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients deferred after attempt {Attempt}, next try in {Delay}")]
    private static partial void LogDeferred(ILogger logger, string messageId, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Delivery record of {MessageId} for {Recipient} changed concurrently; keeping the other write")]
    private static partial void LogConcurrentUpdate(ILogger logger, string messageId, string recipient);
}
