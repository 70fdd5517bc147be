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
            var rows = await QueueStatistics.MeasureAsync(storage, DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false);
            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                rows,
                ("Queue", r => r.Queue),
                ("Messages", r => r.Depth),
                ("Oldest age", r => r.OldestAge)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return queues;
    }
}
