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
using MtaServerless.Pipeline.Routing;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// The stage behind the <c>delivery</c> queue (and of the first attempt, which Ingest runs with the records it
/// has just written leased to it): leases the task's recipients that are not final, resolves
/// each one's route from the routes table (edits apply to every attempt), delivers hop by hop (smarthost,
/// MX, local mailbox) while the lease can hold the next hop, records each result, re-schedules the
/// deferred ones with a visibility timeout from the backoff schedule, and reports the failed ones in one DSN.
/// </summary>
public sealed partial class DeliverStage(
    MtaStorageClients storage,
    DeliveryLeases leases,
    RouteCatalog routes,
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

        await DeliverHeldAsync(task, leased, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The first attempt, run by Ingest as it writes the records already leased to it: no task goes through the
    /// <c>delivery</c> queue and no record is read, which saves a queue hop's latency and five storage transactions.
    /// </summary>
    /// <param name="downloaded">The message as Ingest read it to sign it (the task's headers in front), so that it is not read twice; null to read it here.</param>
    public async Task FirstAttemptAsync(DeliveryTask task, LeaseSet leased, StoredMessage? downloaded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        using var activity = MtaTelemetry.StartFromQueue("mta.deliver", task.Id, task.TraceParent)?.SetTag("mta.attempt", task.Attempt);
        await DeliverHeldAsync(task, leased, downloaded, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delivers the recipients this run holds and records their results.</summary>
    private async Task DeliverHeldAsync(DeliveryTask task, LeaseSet leased, StoredMessage? downloaded, CancellationToken cancellationToken)
    {
        // Accepted by a next hop in an earlier run that could not write it: recorded now, never relayed again.
        var results = leased.Held.Where(l => l.PreviousStatus == DeliveryStatus.Sent).Select(AlreadySent).ToList();
        var toSend = leased.Held.Where(l => l.PreviousStatus != DeliveryStatus.Sent).ToList();
        if (toSend.Count > 0 && task.Redriven && time.GetUtcNow() >= task.FirstAttemptAt + _options.MaxLifetime)
        {
            // The sweeper's task comes this late only when the recipients' own tasks could not finish them (poisoned, lost): no more attempts.
            LogExpiredBySweeper(logger, task.Id, toSend.Count);
            results.Add(RelayResult.ForAll(toSend.Select(l => l.Recipient), LocalOutcomes.LifetimeOver));
        }
        else if (toSend.Count > 0)
        {
            try
            {
                await DispatchAsync(task, toSend, leased.HeldUntil, downloaded, results, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // What a hop decided is recorded (a 250 must never be lost); the rest goes back for the queue's retry of the task.
                var decided = results.SelectMany(r => r.Outcomes).Select(o => o.Recipient).ToHashSet(StringComparer.Ordinal);
                await leases.ReleaseAsync(toSend.Where(l => !decided.Contains(l.Recipient)).ToList(), CancellationToken.None).ConfigureAwait(false);
                await RecordAsync(task, leased.Held.Where(l => decided.Contains(l.Recipient)).ToList(), results, leased.HeldUntil, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }

        await RecordAsync(task, leased.Held, results, leased.HeldUntil, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 3461 6.2: what the sender asked of DSNs, and BODY, travel on with the message.</summary>
    private static RelayEnvelope EnvelopeOf(DeliveryTask task, IEnumerable<DeliveryEntity> recipients) => new(
        task.MailFrom,
        recipients.Select(r => new RelayRecipient(r.Recipient, r.GetNotify(), r.GetOriginalRecipient())).ToList(),
        task.SmtpUtf8,
        task.Body,
        task.Ret,
        task.EnvId);

    /// <summary>A <see cref="DeliveryStatus.Sent"/> record holds the next hop's 2xx reply.</summary>
    private static RelayResult AlreadySent(Lease lease) =>
        RelayResult.ForAll([lease.Recipient], lease.Record.GetOutcome() ?? LocalOutcomes.AcceptedEarlier);

    /// <summary>
    /// Groups the recipients into next hops by their routes as the table says now, then delivers hop by hop
    /// into <paramref name="results"/>. After the first, a hop starts only while the lease can hold it and the
    /// host is not stopping; the others are postponed to the next attempt.
    /// </summary>
    private async Task DispatchAsync(DeliveryTask task, IReadOnlyList<Lease> held, DateTimeOffset heldUntil, StoredMessage? downloaded, List<RelayResult> results, CancellationToken cancellationToken)
    {
        var table = await routes.GetAsync(cancellationToken).ConfigureAwait(false);
        var routed = held
            .Select(l => (l.Recipient, Address: MailboxAddress.Parse(l.Recipient)))
            .Select(r => (r.Recipient, r.Address, Route: RecipientRoute.Resolve(table, r.Address)))
            .ToList();
        results.AddRange(routed
            .Where(r => r.Route.Route is null)
            .Select(r => RelayResult.ForAll([r.Recipient], r.Route.Failure!)));
        var hops = routed
            .Where(r => r.Route.Route is not null)
            .GroupBy(r => RecipientRoute.HopOf(r.Route.Route!, r.Address), r => r.Recipient)
            .ToList();
        if (hops.Count == 0)
        {
            return;
        }

        var records = held.ToDictionary(l => l.Recipient, l => l.Record, StringComparer.Ordinal);
        // Only what this run read is its to dispose; a copy it was given belongs to the caller.
        await using var read = downloaded is null ? await StoredMessage.DownloadAsync(storage, task.Blob, task.Headers, cancellationToken).ConfigureAwait(false) : null;
        var stored = read ?? downloaded!;
        for (var i = 0; i < hops.Count; i++)
        {
            var (route, domain) = hops[i].Key;
            var recipients = hops[i].ToList();
            if (i == 0)
            {
                // Nothing sent yet: a stopping host gives every recipient back, for the queue's retry of the task.
                cancellationToken.ThrowIfCancellationRequested();
            }
            else if (!MayStartHop(heldUntil, cancellationToken))
            {
                LogPostponed(logger, task.Id, recipients.Count, route.Pattern);
                results.Add(RelayResult.ForAll(recipients, LocalOutcomes.Postponed));
                continue;
            }

            if (task.DmarcFailed && route.DmarcPolicy == DmarcPolicy.Enforce)
            {
                LogQuarantined(logger, task.Id, recipients.Count, route.Pattern);
                results.Add(await mailboxes.QuarantineAsync(task.Id, task.FirstAttemptAt, task.MailFrom, recipients, stored, cancellationToken).ConfigureAwait(false));
                continue;
            }

            if (route.Action == RouteAction.Mailbox)
            {
                results.Add(await mailboxes.DeliverAsync(task.Id, task.FirstAttemptAt, task.MailFrom, recipients, stored, cancellationToken).ConfigureAwait(false));
                continue;
            }

            results.Add(await RelayAsync(route, domain, EnvelopeOf(task, recipients.Select(r => records[r])), stored, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>A hop may start when the lease holds its worst case and the writing of the results after it, and the host is not stopping.</summary>
    private bool MayStartHop(DateTimeOffset heldUntil, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && time.GetUtcNow() + _options.WorstCaseHop <= heldUntil - _options.RecordingReserve;

    /// <param name="domain">The recipients' domain, whose MX hosts an MX route relays to.</param>
    private async Task<RelayResult> RelayAsync(Route route, string? domain, RelayEnvelope envelope, StoredMessage message, CancellationToken cancellationToken)
    {
        IReadOnlyList<NextHop> hosts;
        if (route.Action == RouteAction.Smarthost)
        {
            hosts = [new NextHop(route.Host ?? throw new InvalidOperationException($"Route '{route.Pattern}' has no host."), route.Port)];
        }
        else
        {
            var resolution = await mx.ResolveAsync(domain!, route.Port, cancellationToken).ConfigureAwait(false);
            if (resolution.Failure is { } failure)
            {
                return RelayResult.ForAll(envelope.Recipients.Select(r => r.Address), failure);
            }

            hosts = resolution.Hosts;
        }

        // Not the host's token: a transaction cut short after the next hop's 250 would lose that 250, and the message
        // would be sent again. The relay's own timeouts end it, and the lease holds them (PipelineOptionsValidator).
        return await relay.RelayAsync(route, hosts, envelope, message, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the results before anything else can take the recipients again (the write is retried within the
    /// lease). Only <paramref name="cancellationToken"/>'s work after that (DSNs) may be cut short by the host.
    /// </summary>
    private async Task RecordAsync(DeliveryTask task, IReadOnlyList<Lease> held, IReadOnlyList<RelayResult> results, DateTimeOffset heldUntil, CancellationToken cancellationToken)
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
            nextAttempt = await ScheduleRetryAsync(task with { Recipients = deferred, Attempt = task.Attempt + 1, DelayWarned = task.DelayWarned || warn, Redriven = false }, now, expiresAt).ConfigureAwait(false);
            decided = decided
                .Select(d => d.Result.Status == DeliveryStatus.Deferred ? d with { Result = d.Result with { NextAttemptAt = nextAttempt, DelayWarned = warn } } : d)
                .ToList();
        }

        var completion = await leases.CompleteAsync(decided.Select(d => d.Result).ToList(), task.Attempt, now, heldUntil).ConfigureAwait(false);
        var written = completion.Written;
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
        if (completion.Unrecorded.Count > 0)
        {
            // Not silent: the task fails, and its retry finds the recipients leased until the lease ends.
            throw new ResultsNotRecordedException(task.Id, completion.Unrecorded.Count);
        }
    }

    /// <summary>
    /// RFC 3461 5.2.2 and 5.2.3: NOTIFY=SUCCESS gets "delivered" for a local mailbox, and "relayed" from a
    /// hop that took the message without DSN; a hop that offers DSN received the request and reports itself.
    /// A quarantined message gets none: its sender is likely forged.
    /// </summary>
    private async Task ReportSuccessAsync(DeliveryTask task, IReadOnlyList<(LeaseResult Result, RelayResult Relay)> delivered, CancellationToken cancellationToken)
    {
        var local = delivered.Where(d => d.Result.Outcome.Source == OutcomeSource.Local && d.Result.Outcome != LocalOutcomes.Quarantined).Select(d => d.Result.Lease.Record).ToList();
        var relayed = delivered.Where(d => d.Result.Outcome.Source == OutcomeSource.Remote && !d.Relay.NextHopOffersDsn).Select(d => d.Result.Lease.Record).ToList();
        await bounces.SendAsync(DsnKind.Delivered, BounceSource.From(task), local, null, cancellationToken).ConfigureAwait(false);
        await bounces.SendAsync(DsnKind.Relayed, BounceSource.From(task), relayed, null, cancellationToken).ConfigureAwait(false);
    }

    /// <returns>When the retry becomes visible.</returns>
    private async Task<DateTimeOffset> ScheduleRetryAsync(DeliveryTask next, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        var remaining = expiresAt - now;
        var delay = backoff.DelayAfter(next.Attempt - 1, Random.Shared.NextDouble());
        if (delay > remaining)
        {
            // One last attempt at the end of the lifetime rather than a silent give-up before it.
            delay = remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1);
        }

        await storage.Delivery.EnqueueAsync(QueueDocuments.Serialize(next), delay, CancellationToken.None).ConfigureAwait(false);
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
        await storage.Delivery.EnqueueAsync(QueueDocuments.Serialize(followUp), delay, cancellationToken).ConfigureAwait(false);
        LogBusy(logger, task.Id, leased.Busy.Count, delay);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Delivery task for {MessageId} attempt {Attempt}: no recipient left for this run")]
    private static partial void LogNothingPending(ILogger logger, string messageId, int attempt);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients deferred after attempt {Attempt}, next try in {Delay}")]
    private static partial void LogDeferred(ILogger logger, string messageId, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients are leased by another run; checking again in {Delay}")]
    private static partial void LogBusy(ILogger logger, string messageId, int count, TimeSpan delay);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Warning, Message = "Message {MessageId}: {Count} recipients of route {Route} postponed to the next attempt: the lease could not hold another hop, or the host is stopping")]
    private static partial void LogPostponed(ILogger logger, string messageId, int count, string route);

    [LoggerMessage(EventId = 3761, Level = LogLevel.Information, Message = "Message {MessageId}: {Count} recipients of route {Route} quarantined: the message failed DMARC and the route enforces it")]
    private static partial void LogQuarantined(ILogger logger, string messageId, int count, string route);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Message {MessageId}: {Count} recipients re-driven by the sweeper are past the maximum lifetime; bouncing them")]
    private static partial void LogExpiredBySweeper(ILogger logger, string messageId, int count);
}

/// <summary>A delivery run could not write some of its results, even after retrying for as long as its lease lasted.</summary>
public sealed class ResultsNotRecordedException(string messageId, int count)
    : InvalidOperationException($"The results of {count} recipients of message {messageId} could not be written; they stay leased until the lease ends.");
