using Azure.Storage.Queues;

namespace MtaServerless.Core.Storage;

/// <summary>
/// Every message of the contract's queues is sent through here, with time-to-live -1: the queue's
/// default of 7 days would drop mail that got its 250 if the functions were down that long. When a
/// message is no longer needed is decided from the message's own times, never by the queue.
/// </summary>
public static class QueueSending
{
    /// <summary>What Azure Storage queues read as "never expires".</summary>
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    /// <param name="delay">How long the message stays invisible (a scheduled retry); zero for at once.</param>
    public static Task EnqueueAsync(this QueueClient queue, string document, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return queue.SendMessageAsync(document, delay, NeverExpires, cancellationToken);
    }
}
