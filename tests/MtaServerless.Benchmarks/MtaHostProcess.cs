using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;

namespace MtaServerless.Benchmarks;

/// <summary>The driver's side of an <see cref="MtaHost"/> process: start it, command it, count what it logs, stop it.</summary>
internal sealed class MtaHostProcess : IAsyncDisposable
{
    private const int EchoedLines = 20;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly Channel<string> _protocol = Channel.CreateUnbounded<string>();
    private int _consoleLines;

    private MtaHostProcess(Process process)
    {
        _process = process;
    }

    public int Port { get; private set; }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Lines the host wrote besides the protocol's: its log output, at Warning. Per-message lines would be
    /// console work inside the measured CPU time (they once were), so every scenario reports this count.
    /// </summary>
    public int ConsoleLines => Volatile.Read(ref _consoleLines);

    /// <param name="environment">The host's configuration, on top of the driver's own environment.</param>
    public static async Task<MtaHostProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "MtaServerless.Benchmarks"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostProtocol.Argument);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var host = new MtaHostProcess(Process.Start(start) ?? throw new InvalidOperationException("The MTA host did not start."));
        host._process.OutputDataReceived += (_, e) => host.OnOutput(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnOther(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        var ready = await host.NextAsync(HostProtocol.Ready, StartTimeout);
        host.Port = int.Parse(ready, CultureInfo.InvariantCulture);
        return host;
    }

    public Task<HostReport> ResetAsync() => CommandAsync(HostProtocol.ResetCommand);

    public Task<HostReport> ReportAsync() => CommandAsync(HostProtocol.ReportCommand);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
    }

    private async Task<HostReport> CommandAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        return JsonSerializer.Deserialize<HostReport>(await NextAsync(HostProtocol.Report, ReplyTimeout))
            ?? throw new InvalidOperationException($"The MTA host answered '{command}' with nothing.");
    }

    /// <returns>The rest of the next protocol line, which must start with <paramref name="prefix"/>.</returns>
    private async Task<string> NextAsync(string prefix, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        string line;
        try
        {
            line = await _protocol.Reader.ReadAsync(deadline.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            throw new InvalidOperationException($"The MTA host (pid {_process.Id}) sent no '{prefix.Trim()}' line within {timeout}{(_process.HasExited ? $"; it exited with {_process.ExitCode}" : "")}.", ex);
        }

        return line.StartsWith(prefix, StringComparison.Ordinal)
            ? line[prefix.Length..]
            : throw new InvalidOperationException($"The MTA host sent '{line}' where '{prefix.Trim()}' was expected.");
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            _protocol.Writer.TryComplete();
        }
        else if (line.StartsWith(HostProtocol.Ready, StringComparison.Ordinal) || line.StartsWith(HostProtocol.Report, StringComparison.Ordinal))
        {
            _protocol.Writer.TryWrite(line);
        }
        else
        {
            OnOther(line);
        }
    }

    private void OnOther(string? line)
    {
        if (line is null)
        {
            return;
        }

        // The first few are shown for diagnosis; a flood of them is the finding, and its count says so.
        if (Interlocked.Increment(ref _consoleLines) <= EchoedLines)
        {
            Console.Error.WriteLine($"[host {_process.Id}] {line}");
        }
    }
}
