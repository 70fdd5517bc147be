using System.Collections.Concurrent;
using System.Diagnostics;
using MtaServerless.CrashHost;

namespace MtaServerless.Reliability.Tests;

/// <summary>
/// The local runner's host as a real process (<c>dotnet exec MtaServerless.CrashHost.dll</c>) that a
/// test kills with SIGKILL and starts again with the same settings; Azurite and the sink live elsewhere.
/// </summary>
internal sealed class CrashHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    public CrashHostProcess(IReadOnlyDictionary<string, string> environment)
    {
        _environment = environment;
    }

    /// <summary>When each SIGKILL was sent.</summary>
    public List<DateTimeOffset> Kills { get; } = [];

    /// <summary>The last lines the processes wrote, for a failing test's message.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output.TakeLast(40));

    /// <summary>Built beside this test project, in the same configuration.</summary>
    private static string Assembly =>
        Path.Combine(AppContext.BaseDirectory.Replace("MtaServerless.Reliability.Tests", "MtaServerless.CrashHost", StringComparison.Ordinal), "MtaServerless.CrashHost.dll");

    /// <summary>Starts the process and returns once its edge listens and its queue listeners run.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Record(e.Data, ready);
        process.ErrorDataReceived += (_, e) => Record(e.Data, ready);
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The crash host exited during start-up:{Environment.NewLine}{RecentOutput}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(StartTimeout, cancellationToken);
    }

    /// <summary>SIGKILL: no shutdown code runs, in-flight runs and sessions die where they are.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        Kills.Add(DateTimeOffset.UtcNow);
        process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    private void Record(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }

        if (line == CrashHostProtocol.Ready)
        {
            ready.TrySetResult();
        }
    }
}
