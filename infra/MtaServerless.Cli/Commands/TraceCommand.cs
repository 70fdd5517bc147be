using System.CommandLine;
using Azure.Data.Tables;
using MtaServerless.Core.Deliveries;

namespace MtaServerless.Cli.Commands;

/// <summary><c>mta trace</c>: where is the mail? Per-recipient states from the deliveries table.</summary>
internal static class TraceCommand
{
    public static Command Create(TextWriter output)
    {
        var subject = new Argument<string>("message-id-or-address") { Description = "A message id (from '250 ... queued as <id>') or a recipient address." };
        var trace = new Command("trace", "Show the delivery state of every recipient of a message, or of every message to an address.") { subject };
        trace.SetAction(async (result, cancellationToken) =>
        {
            var value = result.GetValue(subject)!.Trim();
            if (value.Length == 0)
            {
                throw CliException.BadInput("Give a message id or an address.");
            }

            // An address is looked up across partitions: a scan, acceptable for an operator's query.
            var filter = value.Contains('@', StringComparison.Ordinal)
                ? TableClient.CreateQueryFilter($"Recipient eq {value}")
                : TableClient.CreateQueryFilter($"PartitionKey eq {value}");
            var rows = new List<DeliveryEntity>();
            await foreach (var row in CliOptions.Storage(result).Deliveries.QueryAsync<DeliveryEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }

            if (rows.Count == 0)
            {
                throw CliException.NotFound($"No delivery records for '{value}'.");
            }

            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                rows.OrderBy(r => r.QueuedAt).ThenBy(r => r.Recipient, StringComparer.Ordinal).ToList(),
                ("Message id", r => r.PartitionKey),
                ("Recipient", r => r.Recipient),
                ("Status", r => r.Status),
                ("Attempts", r => r.Attempts),
                ("Last reply", r => r.LastReply),
                ("Due", r => r.IsFinal ? null : r.DueAt()),
                ("Remote host", r => r.RemoteHost),
                ("Queued", r => r.QueuedAt),
                ("Updated", r => r.UpdatedAt)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return trace;
    }
}
