using Azure;
using Azure.Data.Tables;

namespace MtaServerless.Core.Deliveries;

/// <summary>
/// A row of the <c>deliveries</c> table: partition = message id, row = recipient (<see cref="RecipientKey"/>,
/// compared ordinally: <c>Bob@example.com</c> and <c>bob@example.com</c> are two recipients). It is the
/// idempotency record: a recipient in a final state is never sent to again. The table's partition
/// <see cref="DueEntry.Partition"/> is the sweeper's index over these rows.
/// </summary>
public sealed class DeliveryEntity : ITableEntity
{
    public const int MaxReplyLength = 1000;

    private const string Ellipsis = "...";

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Recipient { get; set; } = string.Empty;

    public string Status { get; set; } = DeliveryStatus.Queued;

    public string Route { get; set; } = string.Empty;

    public int Attempts { get; set; }

    /// <summary>The reply that decided the last attempt, cut to <see cref="MaxReplyLength"/> as it is set.</summary>
    public string? LastReply { get; set => field = Bounded(value); }

    public string? RemoteHost { get; set; }

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the recipient's next attempt is due (its delivery task becomes visible then); null in rows written before it existed.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The run that holds the lease while the status is <see cref="DeliveryStatus.Leased"/>.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>After this instant a lease is abandoned (its worker crashed) and another run may take the recipient.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>The RCPT NOTIFY parameter (RFC 3461), e.g. <c>FAILURE,DELAY</c> or <c>NEVER</c>; null when the client gave none.</summary>
    public string? Notify { get; set; }

    /// <summary>The RCPT ORCPT parameter as received (<c>rfc822;addr</c>); it becomes Original-Recipient in a DSN.</summary>
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

    /// <summary>
    /// A next hop's reply can be as long as it likes; a table property holds 32K characters and a batch 4 MiB.
    /// Cut here, every stored reply stays far below both, so a write never fails for what a hop said:
    /// a batch of 100 rows with such replies, recipients and DSN parameters stays under 1 MiB.
    /// </summary>
    public static string? Bounded(string? reply)
    {
        if (reply is null || reply.Length <= MaxReplyLength)
        {
            return reply;
        }

        var cut = MaxReplyLength - Ellipsis.Length;
        // Never half a surrogate pair: the stored text must stay valid UTF-16.
        cut -= char.IsHighSurrogate(reply[cut - 1]) ? 1 : 0;
        return string.Concat(reply.AsSpan(0, cut), Ellipsis);
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
