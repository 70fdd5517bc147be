namespace MtaServerless.Core.Storage;

/// <summary>How many messages wait in a queue and how old its oldest visible one is.</summary>
/// <param name="Depth">The service's approximate count: visible messages and those scheduled for a retry.</param>
/// <param name="OldestAge">Age of the message at the head of the queue; null when none is visible (scheduled retries are invisible until due).</param>
public sealed record QueueStatistics(string Queue, int Depth, TimeSpan? OldestAge)
{
    /// <summary>Every queue of the storage contract, poison queues included, in <see cref="StorageNames.Queues"/> order.</summary>
    public static async Task<IReadOnlyList<QueueStatistics>> MeasureAsync(MtaStorageClients storage, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var rows = new List<QueueStatistics>(StorageNames.Queues.Count);
        foreach (var name in StorageNames.Queues)
        {
            var queue = storage.Queues.GetQueueClient(name);
            var properties = await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            var oldest = (await queue.PeekMessageAsync(cancellationToken).ConfigureAwait(false)).Value;
            rows.Add(new QueueStatistics(name, properties.Value.ApproximateMessagesCount, oldest?.InsertedOn is { } inserted ? now - inserted : null));
        }

        return rows;
    }
}
