using System.Text;

namespace MtaServerless.Testing;

/// <summary>
/// OpenDKIM as a second independent signer: <c>tests/dkim/opendkim.sh</c> installs Debian's opendkim-tools from apt when
/// missing, then signs with <c>opendkim-testmsg</c> (rsa-sha1 only) or with libopendkim's <c>dkim_sign()</c> (rsa-sha256).
/// </summary>
public static class OpenDkim
{
    private static readonly ToolScript Script = new("OpenDKIM", "dkim/opendkim.sh");

    /// <summary>The message signed by <c>opendkim-testmsg</c>: rsa-sha1, relaxed/simple, the library's default fields.</summary>
    /// <param name="keyFile">A PEM RSA private key.</param>
    public static Task<byte[]> SignRsaSha1Async(byte[] message, string keyFile, string selector, string domain) =>
        SignAsync("testmsg", message, keyFile, selector, domain);

    /// <summary>The message signed by libopendkim's <c>dkim_sign()</c>: rsa-sha256, relaxed/relaxed, the library's default fields.</summary>
    public static Task<byte[]> SignRsaSha256Async(byte[] message, string keyFile, string selector, string domain) =>
        SignAsync("sign", message, keyFile, selector, domain);

    private static async Task<byte[]> SignAsync(string command, byte[] message, string keyFile, string selector, string domain)
    {
        ArgumentNullException.ThrowIfNull(message);
        await Script.EnsureInstalledAsync();
        var (exitCode, output, error) = await Script.RunAsync($"{command} {keyFile} {selector} {domain}", message);
        return exitCode == 0 ? Encoding.UTF8.GetBytes(output) : throw new InvalidOperationException($"OpenDKIM signing failed ({exitCode}): {error}");
    }
}
