using Azure;
using Azure.Data.Tables;

namespace MtaServerless.Core.Deliveries;

/// <summary>
/// A row of the <c>deliveries</c> table: partition = message id, row = recipient. It is the
/// idempotency record: a recipient in a final state is never sent to again.
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

    public string? LastReply { get; set; }

    public string? RemoteHost { get; set; }

    public DateTimeOffset QueuedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsFinal => DeliveryStatus.IsFinal(Status);

    public static DeliveryEntity Queued(string messageId, string recipient, string route, DateTimeOffset now) => new()
    {
        PartitionKey = messageId,
        RowKey = RecipientKey.Encode(recipient),
        Recipient = recipient,
        Route = route,
        Status = DeliveryStatus.Queued,
        QueuedAt = now,
        UpdatedAt = now,
    };
}

/// <summary>Recipient states as they are stored; strings so that rows stay readable in any table browser.</summary>
public static class DeliveryStatus
{
    public const string Queued = "queued";
    public const string Deferred = "deferred";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    public static bool IsFinal(string status) => status is Delivered or Failed;
}
