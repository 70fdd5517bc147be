using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Pipeline.Routing;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>
/// The stage behind the <c>inbound</c> queue: builds the trace header, signs our users' mail (DKIM), checks mail from
/// elsewhere (SPF, DKIM, DMARC, ARC: one <c>Authentication-Results:</c> field, and an ARC set when a route relays it),
/// leaves out the <c>Authentication-Results</c> fields in our name that came with it (RFC 8601 5; but for a trusted
/// network's relay), stops mail loops, routes every recipient, writes the message's entry in the sweeper's index and
/// the per-recipient records (leased to this run), makes the first delivery attempt itself, and reports the recipients
/// that failed here in one DSN. Safe to run twice for the same message: existing records win, so a replay never resets
/// a delivered recipient, nor reports a failure twice, nor restarts a deferred recipient's backoff; the recipients a
/// replay finds pending go to the <c>delivery</c> queue, when they are due.
/// </summary>
public sealed partial class IngestStage(
    MtaStorageClients storage,
    RouteCatalog routes,
    DueIndex index,
    DeliveryLeases leases,
    DeliverStage deliver,
    DkimMessageSigner signer,
    InboundAuthenticator authenticator,
    AuthenticationEvents authentications,
    BounceSender bounces,
    IOptions<PipelineOptions> options,
    TimeProvider time,
    ILogger<IngestStage> logger)
{
    /// <summary>RFC 5321 6.3: a message with more trace headers than this is looping.</summary>
    public const int MaxReceivedHeaders = 50;

    public async Task RunAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = MtaTelemetry.StartFromQueue("mta.ingest", message.Id, message.TraceParent);
        var table = await routes.GetAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        // Ours is one more Received: header on top of those in the stored message.
        var hops = message.ReceivedHeaders + 1;
        var looping = hops > MaxReceivedHeaders;
        if (looping)
        {
            LogLoop(logger, message.Id, hops);
        }

        var planned = message.Envelope.Recipients
            .Select(r => Plan(table, r, looping))
            .DistinctBy(p => p.Recipient, StringComparer.Ordinal)
            .ToList();

        // Before the template: every task made from it, now or by a replay or the sweeper, sends the same signature, and
        // the same results of checks made once (a replay checks again, and may see DNS changed since).
        var trace = ReceivedHeader.Build(message) + SubmissionHeaders.Build(message);
        await using var signed = await signer.SignAsync(message, trace, cancellationToken).ConfigureAwait(false);
        var guarded = authenticator.LeavesOutForged(message);
        // Read here when signing did not read it (no key): the first attempt gets this copy, so it is still read once.
        await using var read = guarded && signed.Stored is null
            ? await StoredMessage.DownloadAsync(storage, message.Blob, signed.Headers, cancellationToken).ConfigureAwait(false)
            : null;
        var ours = signed.Stored ?? read;
        var blob = guarded && ours is not null ? await authenticator.LeaveOutForgedAsync(message, ours, cancellationToken).ConfigureAwait(false) : message.Blob;
        await using var authenticated = authenticator.Checks(message)
            ? await authenticator.AuthenticateAsync(message, trace, results => Relays(results, planned), cancellationToken).ConfigureAwait(false)
            : null;
        var headers = authenticated?.Stored.TraceHeaders ?? signed.Headers;
        var downloaded = authenticated?.Stored ?? ours;
        if (authenticated is not null)
        {
            authentications.Authenticated(message.Id, authenticated.Results, Action(authenticated.Results, planned), authenticated.ArcSeal);
        }

        var template = new DeliveryTask(
            message.Id,
            authenticated?.Blob ?? blob,
            message.Envelope.MailFrom,
            [],
            headers,
            Attempt: 1,
            FirstAttemptAt: message.Session.ReceivedAt,
            message.Envelope.SmtpUtf8,
            MtaTelemetry.TraceParentFor(activity, message.TraceParent),
            message.Envelope.Ret,
            message.Envelope.EnvId,
            Body: message.Envelope.Body,
            Dkim: signed.Status,
            DmarcFailed: authenticated?.Results.DmarcFailed ?? false);
        if (planned.Any(p => p.Hop is not null))
        {
            // Before the records: every recipient row that is not final has its entry, whatever happens next.
            await index.AddAsync(template, message.Session.ReceivedAt + options.Value.SweepAfter, cancellationToken).ConfigureAwait(false);
        }

        var rows = planned.Select(p => p.ToEntity(message.Id, now)).ToList();
        // Counted from now, not from the run's start: the lease must hold the first hop, as a delivery run's does.
        var firstAttempt = leases.TakeNew(rows.Where(r => !r.IsFinal).ToList(), time.GetUtcNow());
        var (records, inserted) = await RecordAsync(message.Id, rows, cancellationToken).ConfigureAwait(false);
        var pending = 0;
        foreach (var hop in planned.Where(p => p.Hop is not null && !records[p.Recipient].IsFinal && !inserted.Contains(records[p.Recipient])).GroupBy(p => p.Hop))
        {
            var stored = hop.Select(p => records[p.Recipient]).ToList();
            pending += stored.Count;
            // A replay keeps each recipient's history: the next attempt number, and no attempt before it is due.
            var task = template with
            {
                Recipients = stored.Select(r => r.Recipient).ToList(),
                Attempt = stored.Max(r => r.Attempts) + 1,
                DelayWarned = stored.Any(r => r.DelayWarned),
            };
            var due = stored.Min(r => r.DueAt()) - now;
            var delay = due > TimeSpan.Zero ? due : TimeSpan.Zero;
            await storage.Delivery.EnqueueAsync(QueueDocuments.Serialize(task), delay, cancellationToken).ConfigureAwait(false);
        }

        var held = firstAttempt.Held.Where(l => inserted.Contains(l.Record)).ToList();
        LogIngested(logger, message.Id, planned.Count, pending + held.Count);
        if (held.Count > 0)
        {
            // A first attempt that fails records what it decided, gives back the rest and fails this run: the queue runs
            // it again, and the replay finds those rows pending and queues them, due when their lease ends.
            await deliver.FirstAttemptAsync(template with { Recipients = held.Select(l => l.Recipient).ToList() }, firstAttempt with { Held = held }, downloaded, cancellationToken).ConfigureAwait(false);
        }

        // The failures decided here whose DSN is still owed: this run's, or those of an earlier run that crashed
        // before sending it. A recipient bounced after a delivery attempt is Deliver's to report: after a crash
        // its task comes back too, and only one of the two may send the DSN.
        var failedHere = records.Values.Where(r => r.DsnPending && r.Attempts == 0).ToList();
        await bounces.SettleAsync(BounceSource.From(message, headers, template.Blob), failedHere, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the routes do with the message as they stand now: a route edited before an attempt decides that attempt.</summary>
    private static string Action(InboundAuthentication results, IReadOnlyList<RecipientPlan> planned)
    {
        var routed = planned.Where(p => p.Route is not null).ToList();
        var quarantined = routed.Count(p => results.QuarantinedBy(p.Route!));
        return quarantined == 0 ? "delivered" : quarantined == routed.Count ? "quarantined" : "mixed";
    }

    /// <summary>Whether a route relays the message to another MTA: a smarthost or MX route that does not quarantine it.</summary>
    private static bool Relays(InboundAuthentication results, IReadOnlyList<RecipientPlan> planned) =>
        planned.Any(p => p.Route is { Action: RouteAction.Smarthost or RouteAction.Mx } route && !results.QuarantinedBy(route));

    private static RecipientPlan Plan(RouteTable table, EnvelopeRecipient envelope, bool looping)
    {
        if (!MailboxAddress.TryParse(envelope.Address, out var mailbox))
        {
            return new RecipientPlan(envelope, envelope.Address, null, null, LocalOutcomes.BadAddress);
        }

        var recipient = mailbox.ToString();
        if (looping)
        {
            return new RecipientPlan(envelope, recipient, null, null, LocalOutcomes.Loop);
        }

        var routed = RecipientRoute.Resolve(table, mailbox);
        return routed.Route is { } route
            ? new RecipientPlan(envelope, recipient, route, RecipientRoute.HopOf(route, mailbox), null)
            : new RecipientPlan(envelope, recipient, null, null, routed.Failure);
    }

    /// <returns>
    /// The records as stored by recipient: the new ones, or those an earlier run of this message already wrote;
    /// and the rows this run inserted, with the ETags that make their leases this run's.
    /// </returns>
    private async Task<(Dictionary<string, DeliveryEntity> Records, HashSet<DeliveryEntity> Inserted)> RecordAsync(string messageId, IReadOnlyList<DeliveryEntity> rows, CancellationToken cancellationToken)
    {
        var stored = new List<DeliveryEntity>(rows.Count);
        var inserted = new HashSet<DeliveryEntity>(ReferenceEqualityComparer.Instance);
        foreach (var chunk in rows.Chunk(MtaStorageClients.MaxTableBatch))
        {
            try
            {
                var responses = await storage.Deliveries.SubmitTransactionAsync(
                    chunk.Select(row => new TableTransactionAction(TableTransactionActionType.Add, row)),
                    cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < chunk.Length; i++)
                {
                    chunk[i].ETag = responses.Value[i].Headers.ETag ?? chunk[i].ETag;
                }

                stored.AddRange(chunk);
                inserted.UnionWith(chunk);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                LogReplay(logger, messageId);
                foreach (var row in chunk)
                {
                    var record = await AddOrGetAsync(row, cancellationToken).ConfigureAwait(false);
                    stored.Add(record);
                    if (ReferenceEquals(record, row))
                    {
                        inserted.Add(record);
                    }
                }
            }
        }

        return (stored.ToDictionary(r => r.Recipient, StringComparer.Ordinal), inserted);
    }

    private async Task<DeliveryEntity> AddOrGetAsync(DeliveryEntity row, CancellationToken cancellationToken)
    {
        try
        {
            var response = await storage.Deliveries.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            row.ETag = response.Headers.ETag ?? row.ETag;
            return row;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            var existing = (await storage.Deliveries.GetEntityAsync<DeliveryEntity>(row.PartitionKey, row.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            if (row.LeaseOwner is not null && existing.LeaseOwner == row.LeaseOwner)
            {
                // This run's own insert, whose response was lost and whose retry found the row: the lease is still ours.
                row.ETag = existing.ETag;
                return row;
            }

            return existing;
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Message {MessageId} ingested: {Recipients} recipients, {Pending} to deliver")]
    private static partial void LogIngested(ILogger logger, string messageId, int recipients, int pending);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Message {MessageId} was ingested before; keeping the stored recipient states")]
    private static partial void LogReplay(ILogger logger, string messageId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Message {MessageId} has passed {Hops} hops: bouncing it as a mail loop")]
    private static partial void LogLoop(ILogger logger, string messageId, int hops);

    /// <param name="Hop">The next hop the recipient's first task goes to; null when it failed here.</param>
    private sealed record RecipientPlan(EnvelopeRecipient Envelope, string Recipient, Route? Route, NextHopKey? Hop, DeliveryOutcome? Failure)
    {
        public DeliveryEntity ToEntity(string messageId, DateTimeOffset now)
        {
            var row = DeliveryEntity.Queued(messageId, Recipient, Route?.Pattern ?? string.Empty, now);
            row.SetDsnParameters(Envelope.Notify, Envelope.Orcpt);
            if (Failure is not null)
            {
                row.Status = DeliveryStatus.Bounced;
                row.SetOutcome(Failure);
                row.DsnPending = true;
            }

            return row;
        }
    }
}
