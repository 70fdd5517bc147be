using System.Diagnostics;
using MtaServerless.Core.Storage;

namespace MtaServerless.Testing;

/// <summary>
/// A bash script of <c>tests/</c> that drives an independent tool (dkimpy, pyspf): <c>install</c> once per test run, so a
/// clean CI machine gets the tool on first use, then commands that read standard input.
/// </summary>
/// <param name="tool">The tool's name, for errors.</param>
/// <param name="relativePath">The script's path under <c>tests/</c>, such as <c>dkim/dkimpy.sh</c>.</param>
public sealed class ToolScript(string tool, string relativePath)
{
    private readonly SemaphoreSlim _install = new(1, 1);
    private bool _installed;

    public async Task EnsureInstalledAsync()
    {
        await _install.WaitAsync();
        try
        {
            if (!_installed)
            {
                var (exitCode, output, error) = await RunAsync("install", []);
                _installed = exitCode == 0 ? true : throw new InvalidOperationException($"Installing {tool} failed ({exitCode}): {output}{error}");
            }
        }
        finally
        {
            _install.Release();
        }
    }

    public async Task<(int ExitCode, string Output, string Error)> RunAsync(string arguments, byte[] input)
    {
        var script = Path.Combine(RepositoryPaths.FindInfraDirectory(), "..", "tests", relativePath);
        using var process = Process.Start(new ProcessStartInfo("bash", $"{script} {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("Could not start bash.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
