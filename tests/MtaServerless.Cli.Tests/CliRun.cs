using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

/// <summary>One invocation of <c>mta</c>, in process, against the fixture's Azurite.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public static Task<CliRun> RunAsync(AzuriteFixture azurite, params string[] args) => RunWithInputAsync(azurite, string.Empty, args);

    public static async Task<CliRun> RunWithInputAsync(AzuriteFixture azurite, string standardInput, params string[] args)
    {
        using var input = new StringReader(standardInput);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync([.. args, "--connection-string", azurite.ConnectionString], input, output, error, CancellationToken.None);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }

    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
