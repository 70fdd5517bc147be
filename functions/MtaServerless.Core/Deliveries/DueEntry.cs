using System.Globalization;
using Azure;
using Azure.Data.Tables;
using MtaServerless.Core.Documents;

namespace MtaServerless.Core.Deliveries;

/// <summary>
/// The sweeper's index over the <c>deliveries</c> table: one row per message whose recipients may not
/// all be final, in the partition <see cref="Partition"/>, keyed by when the sweeper should look at it
/// (a sortable UTC time, then the message id). A sweep reads only the rows whose time has come, with
/// one range query that returns nothing when nothing is due; it never scans the messages' partitions.
/// The row carries the message's delivery task without recipients, so that a task lost or poisoned
/// can be made again from the stored state alone: this row, the recipients' rows and the spool blob.
/// </summary>
public sealed class DueEntry : ITableEntity
{
    public const string Partition = "due";

    private const string TimeFormat = "yyyyMMdd'T'HHmmss'Z'";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string MessageId { get; set; } = string.Empty;

    public DateTimeOffset DueAt { get; set; }

    /// <summary>The <c>delivery</c> document Ingest made for the message, with no recipients.</summary>
    public string Task { get; set; } = string.Empty;

    /// <summary>When the sweeper last refreshed the spool blob's last-modified time, which the lifecycle rule counts from.</summary>
    public DateTimeOffset? TouchedAt { get; set; }

    public static DueEntry For(DeliveryTask task, DateTimeOffset dueAt)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new DueEntry
        {
            RowKey = KeyFor(dueAt, task.Id),
            MessageId = task.Id,
            DueAt = dueAt,
            Task = QueueDocuments.Serialize(task with { Recipients = [] }),
            // The spool blob was written at arrival: its last-modified time is the message's, until the sweeper refreshes it.
            TouchedAt = task.FirstAttemptAt,
        };
    }

    /// <summary>The upper bound (exclusive) of the keys due at <paramref name="now"/>: a key starts with its time, and a prefix sorts first.</summary>
    public static string DueBefore(DateTimeOffset now) => now.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static string KeyFor(DateTimeOffset dueAt, string messageId) => $"{DueBefore(dueAt)}-{messageId}";

    /// <summary>The same message's entry at another time; its key changes with it, so it is a new row.</summary>
    public DueEntry MovedTo(DateTimeOffset dueAt, DateTimeOffset? touchedAt) => new()
    {
        RowKey = KeyFor(dueAt, MessageId),
        MessageId = MessageId,
        DueAt = dueAt,
        Task = Task,
        TouchedAt = touchedAt,
    };

    /// <exception cref="System.Text.Json.JsonException">The stored task is not a version-1 delivery document.</exception>
    public DeliveryTask TaskFor(IReadOnlyList<string> recipients, int attempt, bool delayWarned) =>
        QueueDocuments.DeserializeDelivery(Task) with { Recipients = recipients, Attempt = attempt, DelayWarned = delayWarned };
}
