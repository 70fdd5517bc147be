using System.CommandLine;
using Azure;
using MtaServerless.Cli.Commands;

namespace MtaServerless.Cli;

/// <summary>
/// The <c>mta</c> command tree. Exit codes: 0 done, 1 not found, 2 bad input, 3 storage failure.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = new RootCommand("Operate MtaServerless: routes, users, queues, poison messages, delivery traces and DKIM keys.");
        foreach (var option in CliOptions.Global)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(RoutesCommands.Create(output));
        root.Subcommands.Add(UsersCommands.Create(input, output));
        root.Subcommands.Add(QueuesCommand.Create(output));
        root.Subcommands.Add(PoisonCommands.Create(output));
        root.Subcommands.Add(TraceCommand.Create(output));
        root.Subcommands.Add(DkimCommands.Create(output));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message).ConfigureAwait(false);
            }

            return ExitCodes.BadInput;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (RequestFailedException ex)
        {
            await error.WriteLineAsync($"Storage request failed: {ex.Status} {ex.ErrorCode}").ConfigureAwait(false);
            return ExitCodes.StorageFailure;
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is RequestFailedException))
        {
            await error.WriteLineAsync($"Storage is unreachable: {ex.InnerExceptions[0].Message}").ConfigureAwait(false);
            return ExitCodes.StorageFailure;
        }
    }
}
