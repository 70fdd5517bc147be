using System.Net;

namespace MtaServerless.Testing;

/// <summary>One signature's verdict: <c>d=example.org s=rsa20261204 a=rsa-sha256 pass</c>.</summary>
public sealed record DkimVerdict(string Domain, string Selector, string Algorithm, bool Pass, string Line);

/// <summary>An ARC chain's validation: <c>arc=pass i=2</c>, or <c>arc=fail i=1 &lt;why&gt;</c>.</summary>
/// <param name="Chain">none, pass or fail.</param>
/// <param name="Instances">The highest instance dkimpy validated; 0 for none.</param>
public sealed record ArcVerdict(string Chain, int Instances, string Line);

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

    /// <summary>The message signed by dkimpy, its DKIM-Signature on top (UTF-8 in and out, as the process pipes carry it).</summary>
    /// <param name="keyFile">A PKCS#8 PEM private key: RSA, or Ed25519 for <c>ed25519-sha256</c>.</param>
    /// <param name="canonicalization">header/body, such as <c>relaxed/simple</c>.</param>
    /// <param name="headers">The colon-separated fields to sign.</param>
    public static async Task<byte[]> SignAsync(
        byte[] message, string keyFile, string selector, string domain, string algorithm, string canonicalization = "relaxed/relaxed", string headers = "from:to:subject")
    {
        ArgumentNullException.ThrowIfNull(message);
        await Script.EnsureInstalledAsync();
        return Succeeded(await Script.RunAsync($"sign {keyFile} {selector} {domain} {algorithm} {canonicalization} {headers}", message), "signing");
    }

    /// <summary>
    /// The message sealed with one more ARC set (rsa-sha256), after an Authentication-Results of
    /// <paramref name="authservId"/> whose <c>arc=</c> is dkimpy's validation of the chain so far, keys from <paramref name="nameServer"/>.
    /// </summary>
    public static async Task<byte[]> ArcSignAsync(byte[] message, string keyFile, string selector, string domain, string authservId, IPEndPoint nameServer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameServer);
        await Script.EnsureInstalledAsync();
        return Succeeded(await Script.RunAsync($"arcsign {keyFile} {selector} {domain} {authservId} {nameServer}", message), "ARC sealing");
    }

    /// <summary>dkimpy's validation of the message's ARC chain (RFC 8617), keys from <paramref name="nameServer"/>.</summary>
    public static async Task<ArcVerdict> ArcVerifyAsync(byte[] message, IPEndPoint nameServer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(nameServer);
        await Script.EnsureInstalledAsync();
        var (_, output, error) = await Script.RunAsync($"arcverify {nameServer}", message);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => l.StartsWith("arc=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"dkimpy gave no ARC verdict: {output}{error}");
        var words = line.Split(' ');
        return new ArcVerdict(words[0]["arc=".Length..], int.Parse(words[1]["i=".Length..], System.Globalization.CultureInfo.InvariantCulture), line);
    }

    private static byte[] Succeeded((int ExitCode, string Output, string Error) run, string what) =>
        run.ExitCode == 0 ? System.Text.Encoding.UTF8.GetBytes(run.Output) : throw new InvalidOperationException($"dkimpy {what} failed ({run.ExitCode}): {run.Error}");

    private static DkimVerdict Parse(string line)
    {
        var words = line.Split(' ');
        return new DkimVerdict(words[0][2..], words[1][2..], words[2][2..], words[3] == "pass", line);
    }
}
