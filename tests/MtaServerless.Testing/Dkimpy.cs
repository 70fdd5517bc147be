using System.Net;

namespace MtaServerless.Testing;

/// <summary>One signature's verdict: <c>d=example.org s=rsa20261204 a=rsa-sha256 pass</c>.</summary>
public sealed record DkimVerdict(string Domain, string Selector, string Algorithm, bool Pass, string Line);

/// <summary>
/// dkimpy (Debian's python3-dkim) as the independent verifier of our signatures: <c>tests/dkim/dkimpy.sh</c> installs it
/// from apt when it is missing, and verifies a message with keys looked up on a <see cref="LoopbackDnsServer"/> only.
/// </summary>
public static class Dkimpy
{
    private static readonly ToolScript Script = new("dkimpy", "dkim/dkimpy.sh");

    /// <returns>One verdict per DKIM-Signature field of the message; none when it has no signature.</returns>
    public static async Task<IReadOnlyList<DkimVerdict>> VerifyAsync(byte[] message, IPEndPoint nameServer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameServer);
        await Script.EnsureInstalledAsync();
        var (_, output, error) = await Script.RunAsync($"verify {nameServer}", message);
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
}
