using System.CommandLine;
using MtaServerless.Core.Storage;

namespace MtaServerless.Cli.Commands;

/// <summary><c>mta queues</c>: depth and oldest visible message of every queue of the contract.</summary>
internal static class QueuesCommand
{
    public static Command Create(TextWriter output)
    {
        var queues = new Command("queues", "Show how many messages wait in each queue and how old the oldest visible one is (scheduled retries are invisible until due).");
        queues.SetAction(async (result, cancellationToken) =>
        {
            var storage = CliOptions.Storage(result);
            var now = DateTimeOffset.UtcNow;
            var rows = new List<(string Name, int Count, TimeSpan? OldestAge)>();
            foreach (var name in StorageNames.Queues)
            {
                var queue = storage.Queues.GetQueueClient(name);
                var properties = await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
                var oldest = (await queue.PeekMessageAsync(cancellationToken).ConfigureAwait(false)).Value;
                rows.Add((name, properties.Value.ApproximateMessagesCount, oldest?.InsertedOn is { } inserted ? now - inserted : null));
            }

            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                rows,
                ("Queue", r => r.Name),
                ("Messages", r => r.Count),
                ("Oldest age", r => r.OldestAge)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return queues;
    }
}
