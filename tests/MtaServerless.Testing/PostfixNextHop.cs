using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;

namespace MtaServerless.Testing;

/// <summary>How the Postfix next hop behaves: what its EHLO leaves out, what it says to MAIL FROM, its TLS.</summary>
public sealed record PostfixSettings
{
    /// <summary><c>smtpd_discard_ehlo_keywords</c>, e.g. <c>8bitmime</c>, <c>smtputf8</c>, <c>chunking</c>.</summary>
    public IReadOnlyList<string> DiscardEhloKeywords { get; init; } = [];

    /// <summary>Replies to MAIL FROM by sender domain (a <c>check_sender_access</c> map), decided at MAIL since <c>smtpd_delay_reject = no</c>.</summary>
    public IReadOnlyDictionary<string, string> SenderReplies { get; init; } = new Dictionary<string, string>();

    /// <summary>Offer STARTTLS with a self-signed certificate.</summary>
    public bool StartTls { get; init; }

    /// <summary>STARTTLS is offered but only TLS 1.0 is, which current TLS libraries refuse: every handshake fails.</summary>
    public bool BrokenTls { get; init; }

    /// <summary><c>smtpd_timeout</c>: how long smtpd waits for the client's next command before it hangs up.</summary>
    public TimeSpan? CommandTimeout { get; init; }

    /// <summary>Where Postfix sends the mail it generates itself (its DSNs): an SMTP server on 127.0.0.1.</summary>
    public int? RelayHostPort { get; init; }
}

/// <summary>
/// A real Postfix smtpd as the next hop on 127.0.0.1: its own instance (configuration, queue, data) made by
/// <c>tests/postfix/postfix-instance.sh</c>, which installs Postfix from apt when it is missing. Mail for
/// <see cref="Domain"/> is delivered by Postfix's virtual(8) agent into one Maildir, where tests read it as
/// Postfix stored it (with LF line ends and Postfix's own trace header fields on top).
/// </summary>
public sealed class PostfixNextHop : IAsyncDisposable
{
    public const string Domain = "postfix.test";

    /// <summary>The uid and gid Postfix delivers as (nobody): above virtual_minimum_uid, and owns nothing else.</summary>
    private const int MailboxOwner = 65534;

    private static readonly SemaphoreSlim Install = new(1, 1);
    private static bool _installed;

    private readonly string _directory;

    private PostfixNextHop(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    private string Maildir => Path.Combine(_directory, "mail", "box", "new");

    public static async Task<PostfixNextHop> StartAsync(PostfixSettings? settings = null)
    {
        settings ??= new PostfixSettings();
        await EnsureInstalledAsync();
        var directory = Path.Combine("/tmp", "mta-postfix-" + Guid.NewGuid().ToString("N")[..12]);
        var port = AzuriteProcess.FreePorts().Blob;
        Directory.CreateDirectory(Path.Combine(directory, "mail"));
        await RunAsync("chown", $"{MailboxOwner}:{MailboxOwner} {Path.Combine(directory, "mail")}");
        await RunScriptAsync($"create {directory} {port}", MainCf(directory, settings));
        var hop = new PostfixNextHop(directory, port);
        await RunScriptAsync($"start {directory}", string.Empty);
        await hop.WaitForPortAsync();
        return hop;
    }

    /// <summary>The messages delivered so far, oldest first, each as Postfix stored it.</summary>
    public IReadOnlyList<byte[]> Delivered() =>
        Directory.Exists(Maildir)
            ? Directory.GetFiles(Maildir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList()
            : [];

    public async Task<IReadOnlyList<byte[]>> WaitForDeliveredAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Delivered() is var delivered && delivered.Count < count)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Postfix delivered {delivered.Count} of {count} messages within {timeout}; its log:\n{Log()}");
            }

            await Task.Delay(100);
        }

        return Delivered();
    }

    /// <summary>The copy virtual(8) delivered to <paramref name="recipient"/> (its Delivered-To field names it).</summary>
    public async Task<byte[]> WaitForDeliveredToAsync(string recipient, TimeSpan timeout)
    {
        var field = Encoding.UTF8.GetBytes($"\nDelivered-To: {recipient}\n");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Delivered().FirstOrDefault(copy => copy.AsSpan().IndexOf(field) >= 0) is { } found)
            {
                return found;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Postfix delivered nothing to {recipient} within {timeout}; its log:\n{Log()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The message as it reached Postfix: a stored copy without the header fields Postfix adds on
    /// top (Return-Path, X-Original-To and Delivered-To by virtual(8), its own Received), line ends as Postfix stores them (LF).
    /// </summary>
    public static byte[] AsReceived(byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var text = stored.AsSpan();
        var added = new List<string> { "Return-Path:", "X-Original-To:", "Delivered-To:", "Received:" };
        while (added.Count > 0)
        {
            var field = FieldOnTop(text, added)
                ?? throw new InvalidOperationException($"Postfix's copy lacks {string.Join(", ", added)} on top: {Encoding.UTF8.GetString(stored[..Math.Min(300, stored.Length)])}");
            added.Remove(field);

            // A field ends at the line feed not followed by folding white space.
            var end = 0;
            do
            {
                end += text[end..].IndexOf((byte)'\n') + 1;
            }
            while (end < text.Length && text[end] is (byte)' ' or (byte)'\t');
            text = text[end..];
        }

        return text.ToArray();
    }

    private static string? FieldOnTop(ReadOnlySpan<byte> text, IEnumerable<string> fields)
    {
        foreach (var field in fields)
        {
            if (text.StartsWith(Encoding.ASCII.GetBytes(field)))
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>What Postfix logged (its own maillog_file), for failure messages.</summary>
    public string Log()
    {
        var log = Path.Combine(_directory, "maillog");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync($"stop {_directory}", string.Empty, check: false);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A daemon still exiting can hold a file; /tmp is cleaned anyway.
        }
    }

    private static string MainCf(string directory, PostfixSettings settings)
    {
        var conf = new StringBuilder($"""
            maillog_file_prefixes = /tmp
            maillog_file = {directory}/maillog
            virtual_mailbox_domains = {Domain}
            virtual_mailbox_base = {directory}/mail
            virtual_mailbox_maps = static:box/
            virtual_uid_maps = static:{MailboxOwner}
            virtual_gid_maps = static:{MailboxOwner}
            # no header rewriting, no added headers: the copy shows what arrived
            local_header_rewrite_clients =
            smtputf8_enable = yes
            smtpd_delay_reject = no

            """);
        if (settings.DiscardEhloKeywords.Count > 0)
        {
            conf.AppendLine($"smtpd_discard_ehlo_keywords = {string.Join(", ", settings.DiscardEhloKeywords)}");
        }

        if (settings.DiscardEhloKeywords.Contains("8bitmime"))
        {
            // Without 8BITMIME, 8-bit content is refused instead of taken anyway: what arrives was converted.
            conf.AppendLine("strict_8bitmime_body = yes");
        }

        if (settings.SenderReplies.Count > 0)
        {
            conf.AppendLine($"smtpd_sender_restrictions = check_sender_access inline:{{ {string.Join(", ", settings.SenderReplies.Select(r => $"{{ {r.Key} = {r.Value} }}"))} }}");
        }

        if (settings.StartTls || settings.BrokenTls)
        {
            var (certificate, key) = WriteCertificate(directory);
            conf.AppendLine("smtpd_tls_security_level = may");
            conf.AppendLine($"smtpd_tls_cert_file = {certificate}");
            conf.AppendLine($"smtpd_tls_key_file = {key}");
            if (settings.BrokenTls)
            {
                conf.AppendLine("smtpd_tls_protocols = TLSv1, !TLSv1.1, !TLSv1.2, !TLSv1.3");
            }
        }

        if (settings.CommandTimeout is { } timeout)
        {
            conf.AppendLine($"smtpd_timeout = {(int)timeout.TotalSeconds}s");
        }

        if (settings.RelayHostPort is { } relay)
        {
            conf.AppendLine($"relayhost = [127.0.0.1]:{relay}");
        }

        return conf.ToString();
    }

    private static (string Certificate, string Key) WriteCertificate(string directory)
    {
        using var certificate = SelfSignedCertificate.Create(Domain);
        using var key = certificate.GetRSAPrivateKey()!;
        var certificatePath = Path.Combine(directory, "tls.crt");
        var keyPath = Path.Combine(directory, "tls.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private async Task WaitForPortAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (!_installed)
            {
                await RunScriptAsync("install", string.Empty);
                _installed = true;
            }
        }
        finally
        {
            Install.Release();
        }
    }

    private static Task RunScriptAsync(string arguments, string input, bool check = true) =>
        RunAsync("bash", $"{Path.Combine(RepositoryPaths.FindInfraDirectory(), "..", "tests", "postfix", "postfix-instance.sh")} {arguments}", input, check);

    private static async Task RunAsync(string program, string arguments, string input = "", bool check = true)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not start {program}.");
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
