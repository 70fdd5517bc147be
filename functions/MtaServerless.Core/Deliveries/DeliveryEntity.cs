using Azure;
using Azure.Data.Tables;
using MtaServerless.Core.Documents;

namespace MtaServerless.Core.Deliveries;

/// <summary>
/// A row of the <c>deliveries</c> table: partition = message id, row = recipient (<see cref="RecipientKey"/>,
/// compared ordinally: <c>Bob@example.com</c> and <c>bob@example.com</c> are two recipients). It is the
/// idempotency record: a recipient in a final state is never sent to again. The table's partition
/// <see cref="DueEntry.Partition"/> is the sweeper's index over these rows.
/// </summary>
public sealed class DeliveryEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Recipient { get; set; } = string.Empty;

    public string Status { get; set; } = DeliveryStatus.Queued;

    public string Route { get; set; } = string.Empty;

    public int Attempts { get; set; }

    /// <summary>The outcome that decided the last attempt, as one reply line (<c>550 5.1.1 No such user</c>), its text bounded by <see cref="DeliveryOutcome.MaxTextLength"/>.</summary>
    public string? LastReply { get; set; }

    /// <summary>The host that gave <see cref="LastReply"/>, or the one it is about (the last one tried).</summary>
    public string? RemoteHost { get; set; }

    /// <summary>True when <see cref="LastReply"/> is the next hop's own reply, false when this MTA decided it.</summary>
    public bool ReplyFromHost { get; set; }

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the recipient's next attempt is due (its delivery task becomes visible then); null in rows written before it existed.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The run that holds the lease while the status is <see cref="DeliveryStatus.Leased"/>.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>After this instant a lease is abandoned (its worker crashed) and another run may take the recipient.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>The RCPT NOTIFY parameter (RFC 3461) as its keywords, e.g. <c>FAILURE,DELAY</c> or <c>NEVER</c>; null when the client gave none.</summary>
    public string? Notify { get; set; }

    /// <summary>The RCPT ORCPT parameter decoded (<c>rfc822;addr</c>); it is passed on to the next hop and becomes Original-Recipient in a DSN.</summary>
    public string? Orcpt { get; set; }

    /// <summary>
    /// Set in the same write that records a bounce, cleared once the DSN is in the spool: a run that
    /// crashed in between leaves it set, and the next run of the message or task sends the DSN.
    /// </summary>
    public bool DsnPending { get; set; }

    /// <summary>True once a delay-warning DSN reported this recipient, so that a task made again from the rows does not warn twice.</summary>
    public bool DelayWarned { get; set; }

    public bool IsFinal => DeliveryStatus.IsFinal(Status);

    /// <summary>
    /// When something should next happen to a recipient that is not final: its lease ends, or its next
    /// attempt is due. The sweeper drives the recipient again once this is long past.
    /// </summary>
    public DateTimeOffset DueAt() =>
        Status == DeliveryStatus.Leased && LeaseExpiresAt is { } leaseEnds ? leaseEnds : NextAttemptAt ?? UpdatedAt;

    public DsnNotify GetNotify() => Notify is { Length: > 0 } keywords && DsnNotifyKeywords.TryParse(keywords, out var notify) ? notify : DsnNotify.None;

    public OriginalRecipient? GetOriginalRecipient() => OriginalRecipient.TryParse(Orcpt);

    public void SetDsnParameters(DsnNotify notify, OriginalRecipient? orcpt)
    {
        Notify = notify == DsnNotify.None ? null : DsnNotifyKeywords.Format(notify);
        Orcpt = orcpt?.ToString();
    }

    /// <returns>The outcome of the last attempt; null before any.</returns>
    public DeliveryOutcome? GetOutcome() =>
        LastReply is null ? null : DeliveryOutcome.Parse(LastReply, ReplyFromHost ? OutcomeSource.Remote : OutcomeSource.Local, RemoteHost);

    public void SetOutcome(DeliveryOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        LastReply = outcome.ToString();
        RemoteHost = outcome.Host;
        ReplyFromHost = outcome.Source == OutcomeSource.Remote;
    }

    public static DeliveryEntity Queued(string messageId, string recipient, string route, DateTimeOffset now) => new()
    {
        PartitionKey = messageId,
        RowKey = RecipientKey.Encode(recipient),
        Recipient = recipient,
        Route = route,
        Status = DeliveryStatus.Queued,
        QueuedAt = now,
        UpdatedAt = now,
        NextAttemptAt = now,
    };
}

/// <summary>Recipient states as they are stored; strings so that rows stay readable in any table browser.</summary>
public static class DeliveryStatus
{
    public const string Queued = "queued";
    public const string Deferred = "deferred";

    /// <summary>
    /// The next hop accepted the recipient, but the run could not write that as delivered: no run relays it
    /// again; the next one to hold it records it delivered.
    /// </summary>
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    /// <summary>Held by one delivery run until it records the result or the lease expires.</summary>
    public const string Leased = "leased";

    /// <summary>Failed for good, and reported to the sender with a DSN unless NOTIFY or a null sender says otherwise.</summary>
    public const string Bounced = "bounced";

    public static bool IsFinal(string status) => status is Delivered or Failed or Bounced;
}
