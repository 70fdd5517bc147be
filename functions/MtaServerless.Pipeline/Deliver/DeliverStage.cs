using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Dns;
using MtaServerless.Pipeline.Retry;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// The stage behind the <c>delivery</c> queue: leases the task's recipients that are not final,
/// delivers to them by the task's route (smarthost, MX, local mailbox), records each result,
/// re-schedules the deferred ones with a visibility timeout from the backoff schedule, and reports
/// the failed ones in one DSN.
/// </summary>
public sealed partial class DeliverStage(
    MtaStorageClients storage,
    DeliveryLeases leases,
    MxResolver mx,
    SmtpRelay relay,
    MailboxDelivery mailboxes,
    BounceSender bounces,
    BackoffSchedule backoff,
    DeliveryEvents events,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<DeliverStage> logger)
{
    /// <summary>A scheduled retry must never be dropped by the queue itself; expiry is decided from the first-attempt time.</summary>
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    private readonly PipelineOptions _options = options.Value;

    public async Task RunAsync(DeliveryTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        using var activity = MtaTelemetry.StartFromQueue("mta.deliver", task.Id, task.TraceParent)?.SetTag("mta.attempt", task.Attempt);
        var leased = await leases.AcquireAsync(task, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (leased.Busy.Count > 0)
        {
            await FollowUpAsync(task, leased, cancellationToken).ConfigureAwait(false);
        }

        await bounces.SettleAsync(BounceSource.From(task), leased.DsnOwed, cancellationToken).ConfigureAwait(false);

        if (leased.Held.Count == 0)
        {
            LogNothingPending(logger, task.Id, task.Attempt);
            return;
        }

        List<RelayResult> results;
        try
        {
            results = await DispatchAsync(task, EnvelopeOf(task, leased.Held.Select(l => l.Record)), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The queue retries the task (and poisons it in the end); the recipients must be free for that retry.
            await leases.ReleaseAsync(leased.Held, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await RecordAsync(task, leased.Held, results, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 3461 6.2: what the sender asked of DSNs and BODY travel on with the message.</summary>
    private static RelayEnvelope EnvelopeOf(DeliveryTask task, IEnumerable<DeliveryEntity> recipients) => new(
        task.MailFrom,
        recipients.Select(r => new RelayRecipient(r.Recipient, r.GetNotify(), r.GetOriginalRecipient())).ToList(),
        task.SmtpUtf8,
        task.Body,
        task.Ret,
        task.EnvId);

    private async Task<List<RelayResult>> DispatchAsync(DeliveryTask task, RelayEnvelope envelope, CancellationToken cancellationToken)
    {
        var route = task.Route;
        var recipients = envelope.Recipients.Select(r => r.Address).ToList();
        if (route.Action == RouteAction.Reject)
        {
            return [RelayResult.ForAll(recipients, LocalOutcomes.RejectedByRoute(route.RejectText))];
        }

        await using var stored = await StoredMessage.DownloadAsync(storage, task.Blob, task.Headers, cancellationToken).ConfigureAwait(false);
        if (route.Action == RouteAction.Mailbox)
        {
            return [await mailboxes.DeliverAsync(task.Id, task.FirstAttemptAt, task.MailFrom, recipients, stored, cancellationToken).ConfigureAwait(false)];
        }

        if (route.Action == RouteAction.Smarthost)
        {
            var hop = new NextHop(route.Host ?? throw new InvalidOperationException($"Route '{route.Pattern}' has no host."), route.Port);
            return [await relay.RelayAsync(route, [hop], envelope, stored, cancellationToken).ConfigureAwait(false)];
        }

        // MX: one lookup and one transaction per recipient domain.
        var results = new List<RelayResult>();
        foreach (var domain in envelope.Recipients.GroupBy(r => MailboxAddress.Parse(r.Address).Domain, StringComparer.Ordinal))
        {
            var resolution = await mx.ResolveAsync(domain.Key, route.Port, cancellationToken).ConfigureAwait(false);
            results.Add(resolution.Failure is { } failure
                ? RelayResult.ForAll(domain.Select(r => r.Address), failure)
                : await relay.RelayAsync(route, resolution.Hosts, envelope with { Recipients = [.. domain] }, stored, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task RecordAsync(DeliveryTask task, IReadOnlyList<Lease> held, IReadOnlyList<RelayResult> results, CancellationToken cancellationToken)
    {
        var byRecipient = held.ToDictionary(l => l.Recipient, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var expiresAt = task.FirstAttemptAt + _options.MaxLifetime;
        var expired = now >= expiresAt;
        var decided = new List<(LeaseResult Result, RelayResult Relay)>(held.Count);
        foreach (var result in results)
        {
            foreach (var outcome in result.Outcomes)
            {
                var (status, reported) = outcome.Outcome switch
                {
                    { IsSuccess: true } => (DeliveryStatus.Delivered, outcome.Outcome),
                    { IsTransient: true } when !expired => (DeliveryStatus.Deferred, outcome.Outcome),
                    { IsTransient: true } => (DeliveryStatus.Bounced, LocalOutcomes.Expired(outcome.Outcome, _options.MaxLifetime)),
                    _ => (DeliveryStatus.Bounced, outcome.Outcome),
                };
                decided.Add((new LeaseResult(byRecipient[outcome.Recipient], status, reported), result));
            }
        }

        var deferred = decided.Where(d => d.Result.Status == DeliveryStatus.Deferred).Select(d => d.Result.Lease.Recipient).ToList();
        var warn = deferred.Count > 0 && _options.DelayWarningAfter is { } warnAfter && !task.DelayWarned && now - task.FirstAttemptAt >= warnAfter;
        var nextAttempt = now;
        if (deferred.Count > 0)
        {
            // Schedule the retry before recording "deferred": a crash in between leaves a duplicate task, never a recipient without one.
            nextAttempt = await ScheduleRetryAsync(task with { Recipients = deferred, Attempt = task.Attempt + 1, DelayWarned = task.DelayWarned || warn }, now, expiresAt, cancellationToken).ConfigureAwait(false);
        }

        var written = await leases.CompleteAsync(decided.Select(d => d.Result).ToList(), task.Attempt, now, cancellationToken).ConfigureAwait(false);
        // Only results that were written are reported: a run that lost a lease leaves the telling to the run that holds it.
        foreach (var (result, relay) in decided.Where(d => written.Contains(d.Result.Lease.Record)))
        {
            if (result.Status == DeliveryStatus.Deferred)
            {
                events.Deferred(task, result.Lease.Recipient, result.Outcome, nextAttempt);
            }
            else
            {
                events.Completed(task, result.Lease.Recipient, result.Outcome, relay.Tls, now);
            }
        }

        await ReportSuccessAsync(task, decided.Where(d => d.Result.Status == DeliveryStatus.Delivered && written.Contains(d.Result.Lease.Record)).ToList(), cancellationToken).ConfigureAwait(false);
        if (warn)
        {
            await bounces.SendAsync(DsnKind.Delayed, BounceSource.From(task), written.Where(r => r.Status == DeliveryStatus.Deferred).ToList(), expiresAt, cancellationToken).ConfigureAwait(false);
        }

        await bounces.SettleAsync(BounceSource.From(task), written.Where(r => r.DsnPending).ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// RFC 3461 5.2.2 and 5.2.3: NOTIFY=SUCCESS gets "delivered" for a local mailbox, and "relayed" from a
    /// hop that took the message without DSN; a hop that offers DSN received the request and reports itself.
    /// </summary>
    private async Task ReportSuccessAsync(DeliveryTask task, IReadOnlyList<(LeaseResult Result, RelayResult Relay)> delivered, CancellationToken cancellationToken)
    {
        var local = delivered.Where(d => d.Result.Outcome.Source == OutcomeSource.Local).Select(d => d.Result.Lease.Record).ToList();
        var relayed = delivered.Where(d => d.Result.Outcome.Source == OutcomeSource.Remote && !d.Relay.NextHopOffersDsn).Select(d => d.Result.Lease.Record).ToList();
        await bounces.SendAsync(DsnKind.Delivered, BounceSource.From(task), local, null, cancellationToken).ConfigureAwait(false);
        await bounces.SendAsync(DsnKind.Relayed, BounceSource.From(task), relayed, null, cancellationToken).ConfigureAwait(false);
    }

    /// <returns>When the retry becomes visible.</returns>
    private async Task<DateTimeOffset> ScheduleRetryAsync(DeliveryTask next, DateTimeOffset now, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var remaining = expiresAt - now;
        var delay = backoff.DelayAfter(next.Attempt - 1, Random.Shared.NextDouble());
        if (delay > remaining)
        {
            // One last attempt at the end of the lifetime rather than a silent give-up before it.
            delay = remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
        }

        await storage.Delivery.SendMessageAsync(QueueDocuments.Serialize(next), delay, NeverExpires, cancellationToken).ConfigureAwait(false);
        LogDeferred(logger, next.Id, next.Recipients.Count, next.Attempt - 1, delay);
        return now + delay;
    }

    /// <summary>
    /// Recipients another run holds are not ours to send to, but they must not depend on that run
    /// alone: if it crashed, this follow-up finds the lease expired and takes them.
    /// </summary>
    private async Task FollowUpAsync(DeliveryTask task, LeaseSet leased, CancellationToken cancellationToken)
    {
        var delay = leased.BusyUntil - time.GetUtcNow() + TimeSpan.FromSeconds(5);
        delay = delay > BackoffSchedule.MaxVisibilityTimeout ? BackoffSchedule.MaxVisibilityTimeout : delay;
        var followUp = task with { Recipients = leased.Busy };
        await storage.Delivery.SendMessageAsync(QueueDocuments.Serialize(followUp), delay, NeverExpires, cancellationToken).ConfigureAwait(false);
        LogBusy(logger, task.Id, leased.Busy.Count, delay);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Delivery task for {MessageId} attempt {Attempt}: no recipient left for this run")]
    private static partial void LogNothingPending(ILogger logger, string messageId, int attempt);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients deferred after attempt {Attempt}, next try in {Delay}")]
    private static partial void LogDeferred(ILogger logger, string messageId, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients are leased by another run; checking again in {Delay}")]
    private static partial void LogBusy(ILogger logger, string messageId, int count, TimeSpan delay);
}
