using System.CommandLine;
using System.Text.Json;
using Azure.Storage.Queues;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Cli.Commands;

/// <summary>
/// <c>mta poison list | replay</c>: messages the Functions host gave up on after <c>maxDequeueCount</c>
/// attempts; replay moves them back to their queue once the cause is fixed.
/// </summary>
internal static class PoisonCommands
{
    /// <summary>Azure Storage returns at most 32 messages per peek or receive.</summary>
    private const int MaxBatch = 32;

    private static readonly TimeSpan ReplayLease = TimeSpan.FromSeconds(60);

    public static Command Create(TextWriter output)
    {
        var poison = new Command("poison", "Inspect and replay poison messages.");
        poison.Subcommands.Add(List(output));
        poison.Subcommands.Add(Replay(output));
        return poison;
    }

    private static Argument<string> QueueArgument() => new("queue")
    {
        Description = $"The queue whose poison queue to use: {StorageNames.InboundQueue} or {StorageNames.DeliveryQueue}.",
    };

    private static Command List(TextWriter output)
    {
        var queue = QueueArgument();
        var list = new Command("list", "Show the poison messages of a queue (up to 32, oldest first).") { queue };
        list.SetAction(async (result, cancellationToken) =>
        {
            var poison = PoisonQueue(result, result.GetValue(queue)!).Poison;
            var peeked = (await poison.PeekMessagesAsync(MaxBatch, cancellationToken).ConfigureAwait(false)).Value;
            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                peeked,
                ("Queue message", m => m.MessageId),
                ("Inserted", m => m.InsertedOn),
                ("Dequeues", m => m.DequeueCount),
                ("Mail id", m => Summary(m.Body.ToString()).MailId),
                ("Recipients", m => Summary(m.Body.ToString()).Recipients)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Replay(TextWriter output)
    {
        var queue = QueueArgument();
        var ids = new Option<string[]>("--id") { Description = "Queue message ids to replay (from 'poison list').", AllowMultipleArgumentsPerToken = true };
        var all = new Option<bool>("--all") { Description = "Replay every poison message of the queue." };
        var replay = new Command("replay", "Move poison messages back to their queue, to be processed again.") { queue, ids, all };
        replay.SetAction(async (result, cancellationToken) =>
        {
            var wanted = result.GetValue(ids) ?? [];
            var everything = result.GetValue(all);
            if (everything == (wanted.Length > 0))
            {
                throw CliException.BadInput("Give either --all or one or more --id values.");
            }

            var (target, poison) = PoisonQueue(result, result.GetValue(queue)!);
            var pending = wanted.ToHashSet(StringComparer.Ordinal);
            var replayed = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                var batch = (await poison.ReceiveMessagesAsync(MaxBatch, ReplayLease, cancellationToken).ConfigureAwait(false)).Value;
                var freshCount = 0;
                foreach (var message in batch)
                {
                    var fresh = seen.Add(message.MessageId);
                    freshCount += fresh ? 1 : 0;
                    if (fresh && (everything || pending.Remove(message.MessageId)))
                    {
                        // Send first: a crash in between leaves a duplicate, which the handlers are built to absorb, never a loss.
                        await target.EnqueueAsync(message.Body.ToString(), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                        await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                        replayed++;
                    }
                    else
                    {
                        // Not chosen, or met again: give it back at once instead of hiding it for the lease.
                        await poison.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                }

                if (freshCount == 0)
                {
                    break;
                }
            }

            await output.WriteLineAsync($"Replayed {replayed} message(s) to {target.Name}.").ConfigureAwait(false);
            if (pending.Count > 0)
            {
                throw CliException.NotFound($"Not in {poison.Name}: {string.Join(", ", pending)}.");
            }

            return ExitCodes.Ok;
        });
        return replay;
    }

    private static (QueueClient Target, QueueClient Poison) PoisonQueue(ParseResult result, string queue)
    {
        if (queue is not (StorageNames.InboundQueue or StorageNames.DeliveryQueue))
        {
            throw CliException.BadInput($"'{queue}' is not a queue with a poison queue; use {StorageNames.InboundQueue} or {StorageNames.DeliveryQueue}.");
        }

        var queues = CliOptions.Storage(result).Queues;
        return (queues.GetQueueClient(queue), queues.GetQueueClient(queue + StorageNames.PoisonSuffix));
    }

    private static (string? MailId, string Recipients) Summary(string body)
    {
        try
        {
            // Only an inbound document has an envelope.
            if (body.Contains("\"envelope\"", StringComparison.Ordinal))
            {
                var message = QueueDocuments.DeserializeInbound(body);
                return (message.Id, string.Join(", ", message.Envelope.Recipients.Select(r => r.Address)));
            }

            var task = QueueDocuments.DeserializeDelivery(body);
            return (task.Id, string.Join(", ", task.Recipients));
        }
        catch (JsonException)
        {
            return (null, "(not a readable document)");
        }
    }
}
