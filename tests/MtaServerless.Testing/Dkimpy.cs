using System.Diagnostics;
using System.Net;
using MtaServerless.Core.Storage;

namespace MtaServerless.Testing;

/// <summary>One signature's verdict: <c>d=example.org s=rsa20261204 a=rsa-sha256 pass</c>.</summary>
public sealed record DkimVerdict(string Domain, string Selector, string Algorithm, bool Pass, string Line);

/// <summary>
/// dkimpy (Debian's python3-dkim) as the independent verifier of our signatures: <c>tests/dkim/dkimpy.sh</c> installs it
/// from apt when it is missing, and verifies a message with keys looked up on a <see cref="LoopbackDnsServer"/> only.
/// </summary>
public static class Dkimpy
{
    private static readonly SemaphoreSlim Install = new(1, 1);
    private static bool _installed;

    /// <returns>One verdict per DKIM-Signature field of the message; none when it has no signature.</returns>
    public static async Task<IReadOnlyList<DkimVerdict>> VerifyAsync(byte[] message, IPEndPoint nameServer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameServer);
        await EnsureInstalledAsync();
        var (_, output, error) = await RunAsync($"verify {nameServer}", message);
        var verdicts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("d=", StringComparison.Ordinal))
            .Select(Parse)
            .ToList();
        return verdicts.Count > 0 || output.Contains("no DKIM-Signature", StringComparison.Ordinal)
            ? verdicts
            : throw new InvalidOperationException($"dkimpy gave no verdict: {output}{error}");
    }

    private static DkimVerdict Parse(string line)
    {
        var words = line.Split(' ');
        return new DkimVerdict(words[0][2..], words[1][2..], words[2][2..], words[3] == "pass", line);
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (!_installed)
            {
                var (exitCode, output, error) = await RunAsync("install", []);
                _installed = exitCode == 0 ? true : throw new InvalidOperationException($"Installing dkimpy failed ({exitCode}): {output}{error}");
            }
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string arguments, byte[] input)
    {
        var script = Path.Combine(RepositoryPaths.FindInfraDirectory(), "..", "tests", "dkim", "dkimpy.sh");
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
