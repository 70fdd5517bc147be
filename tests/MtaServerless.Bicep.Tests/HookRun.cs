using System.Diagnostics;

namespace MtaServerless.Bicep.Tests;

/// <summary>
/// One run of an azd hook of <c>bicep/hooks</c> with <c>sh</c>, as azd runs it, but with stand-ins for <c>az</c> and
/// <c>azd</c> first on the PATH: each records its arguments and answers from a table, so the hook runs for real and
/// nothing reaches Azure.
/// </summary>
internal sealed class HookRun
{
    private const char ArgumentSeparator = '\u001f';

    /// <summary>The stand-in: logs its name and arguments, then answers with the first entry whose prefix its command line starts with.</summary>
    private const string StandIn = """
        #!/bin/sh
        { printf '%s' "${0##*/}"; for argument in "$@"; do printf '\037%s' "$argument"; done; printf '\n'; } >> "$STAND_IN_LOG"
        line="${0##*/} $*"
        while IFS='	' read -r prefix code output; do
          case $line in
            "$prefix"*) if [ -n "$output" ]; then printf '%s\n' "$output"; fi; exit "$code" ;;
          esac
        done < "$STAND_IN_ANSWERS"
        exit 0
        """;

    private HookRun(int exitCode, string output, IReadOnlyList<string[]> commands)
    {
        ExitCode = exitCode;
        Output = output;
        Commands = commands;
    }

    public int ExitCode { get; }

    /// <summary>What the hook printed, standard error included.</summary>
    public string Output { get; }

    /// <summary>Every az and azd command in order, the program's name first.</summary>
    public IReadOnlyList<string[]> Commands { get; }

    /// <param name="hook">The script's name in <c>bicep/hooks</c>.</param>
    /// <param name="environment">The azd environment the hook sees; nothing else of this machine's is passed on but PATH.</param>
    /// <param name="answers">A command line's start, its exit code and what it prints.</param>
    public static async Task<HookRun> RunAsync(
        string hook,
        IReadOnlyDictionary<string, string> environment,
        IEnumerable<(string CommandStart, int ExitCode, string Output)> answers,
        CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("mta-hook-");
        try
        {
            var log = Path.Combine(directory.FullName, "commands.log");
            var table = Path.Combine(directory.FullName, "answers.tsv");
            await File.WriteAllLinesAsync(table, answers.Select(a => $"{a.CommandStart}\t{a.ExitCode}\t{a.Output}"), cancellationToken);
            await File.WriteAllTextAsync(log, "", cancellationToken);
            foreach (var program in new[] { "az", "azd" })
            {
                var path = Path.Combine(directory.FullName, program);
                await File.WriteAllTextAsync(path, StandIn.ReplaceLineEndings("\n") + "\n", cancellationToken);
                if (!OperatingSystem.IsLinux())
                {
                    throw new PlatformNotSupportedException("The hooks run under sh on Linux here.");
                }

                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var start = new ProcessStartInfo("sh") { WorkingDirectory = directory.FullName };
            start.ArgumentList.Add(Path.Combine(RepositoryPaths.Bicep, "hooks", hook));
            start.Environment.Clear();
            start.Environment["PATH"] = $"{directory.FullName}:/usr/local/bin:/usr/bin:/bin";
            start.Environment["STAND_IN_LOG"] = log;
            start.Environment["STAND_IN_ANSWERS"] = table;
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            var (exitCode, output) = await ChildProcess.RunAsync(start, cancellationToken);
            var commands = (await File.ReadAllLinesAsync(log, cancellationToken)).Select(l => l.Split(ArgumentSeparator)).ToArray();
            return new HookRun(exitCode, output, commands);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The commands of one program, each as one line (arguments joined by spaces), for readable assertions.</summary>
    public IEnumerable<string> Lines(string program) => Commands.Where(c => c[0] == program).Select(c => string.Join(' ', c));
}
