using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace MtaServerless.Bicep.Tests;

/// <summary>
/// One run of the real bicep compiler (restored from NuGet with this project) over every <c>.bicep</c>
/// file of <c>bicep/</c>, in a copy so that the repository gets no build output.
/// </summary>
public sealed class BicepBuild : IAsyncLifetime
{
    private readonly string _output = Directory.CreateTempSubdirectory("mta-bicep-").FullName;

    public int ExitCode { get; private set; }

    /// <summary>Everything the compiler printed: errors, warnings and linter findings, one per line.</summary>
    public string Diagnostics { get; private set; } = "";

    /// <summary>Paths relative to <c>bicep/</c>.</summary>
    public IReadOnlyList<string> SourceFiles { get; private set; } = [];

    public async Task InitializeAsync()
    {
        CopyDirectory(RepositoryPaths.Bicep, _output);
        SourceFiles = Directory.GetFiles(_output, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_output, f))
            .Order(StringComparer.Ordinal)
            .ToArray();
        (ExitCode, Diagnostics) = await RunAsync(Compiler(), "build", "--pattern", "**/*.bicep").ConfigureAwait(false);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_output, recursive: true);
        return Task.CompletedTask;
    }

    public JsonObject Main => Template("main.bicep");

    /// <summary>The ARM template compiled from a <c>.bicep</c> file (path relative to <c>bicep/</c>).</summary>
    public JsonObject Template(string bicepFile)
    {
        var json = Path.Combine(_output, Path.ChangeExtension(bicepFile, ".json"));
        Assert.True(File.Exists(json), $"The compiler wrote no {json}.{Environment.NewLine}{Diagnostics}");
        return JsonNode.Parse(File.ReadAllText(json))!.AsObject();
    }

    private static string Compiler()
    {
        var path = typeof(BicepBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BicepCompiler").Value!;
        Assert.True(File.Exists(path), $"No bicep compiler at {path}: restore MtaServerless.Bicep.Tests.");

        // The package is the linux-x64 build, and NuGet does not promise to keep the executable bit of files it extracts.
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The restored bicep compiler is the linux-x64 build.");
        }

        var mode = File.GetUnixFileMode(path);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return path;
    }

    private Task<(int ExitCode, string Output)> RunAsync(string compiler, params string[] arguments)
    {
        var start = new ProcessStartInfo(compiler) { WorkingDirectory = _output };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The compiler is a .NET app: no ICU needed, no telemetry, no update check.
        start.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        start.Environment["BICEP_TRACING_ENABLED"] = "false";

        // xunit 2 hands fixtures no cancellation token.
        return ChildProcess.RunAsync(start, CancellationToken.None);
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
