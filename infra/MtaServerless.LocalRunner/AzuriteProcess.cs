using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MtaServerless.Core.Storage;

namespace MtaServerless.LocalRunner;

/// <summary>
/// Azurite from the pinned npm package in <c>infra/</c>, installed with <c>npm ci</c> when missing,
/// bound to 127.0.0.1 only. <c>--skipApiVersionCheck</c> because the current Azure SDKs speak service
/// versions that Azurite does not list yet.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly AzuriteSettings _settings;
    private Process? _process;

    private AzuriteProcess(AzuriteSettings settings)
    {
        _settings = settings;
    }

    public AzuriteSettings Settings => _settings;

    public string ConnectionString => AzuriteConnection.For(_settings.BlobPort, _settings.QueuePort, _settings.TablePort);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Azurite's own process while it runs, for a benchmark that counts its CPU apart from the MTA's.</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public static async Task<AzuriteProcess> StartAsync(AzuriteSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var azurite = new AzuriteProcess(settings);
        await azurite.StartAsync(cancellationToken).ConfigureAwait(false);
        return azurite;
    }

    /// <summary>Three free loopback ports, for tests that run beside a developer's own Azurite.</summary>
    public static (int Blob, int Queue, int Table) FreePorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
            }

            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }

    /// <summary>Starts Azurite again on the same ports and data folder, after <see cref="StopAsync"/>.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
        {
            return;
        }

        var executable = await EnsureInstalledAsync(_settings.InfraDirectory, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(_settings.DataDirectory);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _settings.InfraDirectory,
        };
        foreach (var argument in Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitForPortsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops Azurite gracefully (SIGTERM), so that it saves its data folder, and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            await TerminateAsync(process.Id).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        process.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private IEnumerable<string> Arguments() =>
    [
        "--silent",
        "--skipApiVersionCheck",
        "--blobHost", "127.0.0.1", "--blobPort", _settings.BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--queueHost", "127.0.0.1", "--queuePort", _settings.QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--tableHost", "127.0.0.1", "--tablePort", _settings.TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--location", _settings.DataDirectory,
    ];

    private static async Task<string> EnsureInstalledAsync(string infraDirectory, CancellationToken cancellationToken)
    {
        var executable = Path.Combine(infraDirectory, "node_modules", ".bin", "azurite");
        if (File.Exists(executable))
        {
            return executable;
        }

        // Test classes start their Azurites in parallel, from one process or several: one npm ci at a time.
        await using var installLock = await LockFileAsync(Path.Combine(infraDirectory, ".npm-ci.lock"), cancellationToken).ConfigureAwait(false);
        if (File.Exists(executable))
        {
            return executable;
        }

        var npm = new ProcessStartInfo("npm")
        {
            WorkingDirectory = infraDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            npm.ArgumentList.Add(argument);
        }

        using var install = Process.Start(npm) ?? throw new InvalidOperationException("npm did not start; install Node.js and npm.");
        var output = install.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = install.StandardError.ReadToEndAsync(cancellationToken);
        await install.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (install.ExitCode != 0 || !File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"'npm ci' in {infraDirectory} failed with exit code {install.ExitCode}:{Environment.NewLine}{await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        }

        return executable;
    }

    private static async Task<FileStream> LockFileAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WaitForPortsAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        foreach (var port in new[] { _settings.BlobPort, _settings.QueuePort, _settings.TablePort })
        {
            while (true)
            {
                if (_process is not { HasExited: false })
                {
                    throw new InvalidOperationException($"Azurite exited during start-up (is port {port} in use?).");
                }

                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>SIGTERM lets Azurite flush its data folder; .NET itself can only send SIGKILL.</summary>
    private static async Task TerminateAsync(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        if (kill is not null)
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }
    }
}

/// <param name="InfraDirectory">The folder with <c>package.json</c> and <c>package-lock.json</c> that pin Azurite.</param>
/// <param name="DataDirectory">Azurite's <c>--location</c>: its data survives a restart.</param>
public sealed record AzuriteSettings(
    string InfraDirectory,
    string DataDirectory,
    int BlobPort = AzuriteConnection.DefaultBlobPort,
    int QueuePort = AzuriteConnection.DefaultQueuePort,
    int TablePort = AzuriteConnection.DefaultTablePort);
