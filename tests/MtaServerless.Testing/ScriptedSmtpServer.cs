using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace MtaServerless.Testing;

/// <summary>What a <see cref="ScriptedSmtpServer"/> does; every reply is a whole SMTP reply line without CRLF.</summary>
public sealed record SmtpScript
{
    public string Greeting { get; init; } = "220 scripted.test ESMTP";

    public TimeSpan GreetingDelay { get; init; }

    /// <summary>Advertise STARTTLS and upgrade on it with a self-signed certificate.</summary>
    public bool StartTls { get; init; }

    /// <summary>TLS from the first byte (RFC 8314), with the same self-signed certificate.</summary>
    public bool ImplicitTls { get; init; }

    public bool SmtpUtf8 { get; init; } = true;

    public bool EightBitMime { get; init; } = true;

    /// <summary>Advertise DSN (RFC 3461), so that clients send NOTIFY, ORCPT, RET and ENVID.</summary>
    public bool Dsn { get; init; }

    /// <summary>When set, AUTH PLAIN is advertised and only this user name and password succeed.</summary>
    public (string UserName, string Password)? Auth { get; init; }

    /// <summary>The reply to MAIL FROM, given the whole command line.</summary>
    public Func<string, string> Mail { get; init; } = _ => "250 2.1.0 Ok";

    /// <summary>The reply to RCPT TO, given the recipient and how many times any session offered it before (0 the first time).</summary>
    public Func<string, int, string> Rcpt { get; init; } = (_, _) => "250 2.1.5 Ok";

    /// <summary>The reply to end-of-data, given its 1-based number; null drops the connection instead of answering.</summary>
    public Func<int, string?> Data { get; init; } = _ => "250 2.0.0 Ok";

    /// <summary>A MAIL that follows an RSET closes the connection without a reply, as a server whose idle timer fired the moment a kept connection was used.</summary>
    public bool CloseOnMailAfterRset { get; init; }

    /// <summary>Close the connection right after the reply to end-of-data, as a server that refuses a message and hangs up.</summary>
    public bool CloseAfterDataReply { get; init; }

    /// <summary>How long the server stalls before its reply to end-of-data, given the end-of-data's 1-based number.</summary>
    public Func<int, TimeSpan> DataDelay { get; init; } = _ => TimeSpan.Zero;

    /// <summary>The first this many STARTTLS upgrades break: "220 Ready", then plain text where the handshake belongs, and close.</summary>
    public int FailedTlsHandshakes { get; init; }
}

/// <summary>One transaction the server accepted: MAIL FROM line parameters included, so tests see SMTPUTF8 and BODY.</summary>
/// <param name="RcptLines">The accepted RCPT commands as sent, parameters included.</param>
public sealed record ScriptedMail(string MailFromLine, string From, IReadOnlyList<string> To, byte[] Data, bool Tls, string? AuthUser, string Helo, IReadOnlyList<string> RcptLines);

/// <summary>
/// A remote MTA on a chosen loopback address whose every reply is scripted, for the behaviours a
/// polite server never shows: 421 or slow greetings, per-recipient 4xx/5xx, a connection dropped
/// after the final dot, no STARTTLS.
/// </summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    private static readonly Lazy<X509Certificate2> Certificate = new(() => SelfSignedCertificate.Create("scripted.test"));
    private readonly TcpListener _listener;
    private readonly SmtpScript _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _rcptCounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ScriptedMail> _accepted = new();
    private readonly Task _accepting;
    private int _dataCount;
    private int _connections;
    private int _tlsUpgrades;
    private int _authAttempts;
    private int _resets;

    private ScriptedSmtpServer(IPAddress address, int port, SmtpScript script)
    {
        _script = script;
        if (script.StartTls || script.ImplicitTls)
        {
            // Made before the first client, so that key generation does not eat into its connect timeout.
            _ = Certificate.Value;
        }

        _listener = new TcpListener(address, port);
        _listener.Start();
        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _accepting = AcceptAsync();
    }

    public IPEndPoint Endpoint { get; }

    public IReadOnlyCollection<ScriptedMail> Accepted => _accepted;

    public int Connections => Volatile.Read(ref _connections);

    public int DataAttempts => Volatile.Read(ref _dataCount);

    /// <summary>RSET commands received, in any session.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>AUTH commands received, successful or not: a credential that reached the server.</summary>
    public int AuthAttempts => Volatile.Read(ref _authAttempts);

    /// <param name="address">A 127.0.0.x address, so that several servers share one port as MX hosts do.</param>
    /// <param name="port">0 for a free port.</param>
    public static ScriptedSmtpServer Start(string address, int port, SmtpScript? script = null) =>
        new(IPAddress.Parse(address), port, script ?? new SmtpScript());

    public async Task<ScriptedMail> WaitForAcceptedAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (_accepted.Count < count)
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Endpoint} accepted {_accepted.Count} of {count} messages within {timeout}.");
            }
        }

        return _accepted.First();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await new Session(this, client.GetStream()).RunAsync(_stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away or the test ended: nothing to answer.
        }
    }

    private sealed class Session(ScriptedSmtpServer server, Stream network)
    {
        private Stream _stream = network;
        private StreamReader _reader = Reader(network);
        private bool _tls;
        private string? _authUser;
        private string _helo = string.Empty;
        private bool _reset;
        private string? _mailFromLine;
        private readonly List<string> _to = [];
        private readonly List<string> _rcptLines = [];

        private SmtpScript Script => server._script;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            if (Script.ImplicitTls)
            {
                await UpgradeAsync(cancellationToken);
            }

            if (Script.GreetingDelay > TimeSpan.Zero)
            {
                await Task.Delay(Script.GreetingDelay, cancellationToken);
            }

            await ReplyAsync(Script.Greeting, cancellationToken);
            if (!Script.Greeting.StartsWith("220", StringComparison.Ordinal))
            {
                return;
            }

            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        _helo = line[4..].Trim();
                        await ReplyAsync(Capabilities(), cancellationToken);
                        break;
                    case "HELO":
                        _helo = line[4..].Trim();
                        await ReplyAsync("250 scripted.test", cancellationToken);
                        break;
                    case "STAR" when Script.StartTls && !_tls:
                        await ReplyAsync("220 2.0.0 Ready to start TLS", cancellationToken);
                        if (Interlocked.Increment(ref server._tlsUpgrades) <= Script.FailedTlsHandshakes)
                        {
                            await ReplyAsync("this is no TLS server hello", cancellationToken);
                            return;
                        }

                        await UpgradeAsync(cancellationToken);
                        break;
                    case "AUTH" when Script.Auth is { } auth:
                        await AuthenticateAsync(line, auth, cancellationToken);
                        break;
                    case "MAIL" when Script.CloseOnMailAfterRset && _reset:
                        return;
                    case "MAIL":
                        var mailReply = Script.Mail(line);
                        _mailFromLine = mailReply.StartsWith('2') ? line : null;
                        _to.Clear();
                        _rcptLines.Clear();
                        await ReplyAsync(mailReply, cancellationToken);
                        break;
                    case "RCPT":
                        var recipient = Path(line);
                        var seen = server._rcptCounts.AddOrUpdate(recipient, 0, (_, n) => n + 1);
                        var reply = _mailFromLine is null ? "503 5.5.1 Error: need MAIL command" : Script.Rcpt(recipient, seen);
                        if (reply.StartsWith('2'))
                        {
                            _to.Add(recipient);
                            _rcptLines.Add(line);
                        }

                        await ReplyAsync(reply, cancellationToken);
                        if (ClosesSession(reply))
                        {
                            return;
                        }

                        break;
                    case "DATA":
                        if (!await DataAsync(cancellationToken))
                        {
                            return;
                        }

                        break;
                    case "RSET":
                        Interlocked.Increment(ref server._resets);
                        _reset = true;
                        _mailFromLine = null;
                        _to.Clear();
                        _rcptLines.Clear();
                        await ReplyAsync("250 2.0.0 Ok", cancellationToken);
                        break;
                    case "NOOP":
                        await ReplyAsync("250 2.0.0 Ok", cancellationToken);
                        break;
                    case "QUIT":
                        await ReplyAsync("221 2.0.0 Bye", cancellationToken);
                        return;
                    default:
                        await ReplyAsync("502 5.5.2 Command not implemented", cancellationToken);
                        break;
                }
            }
        }

        private string Capabilities()
        {
            var lines = new List<string> { "scripted.test", "PIPELINING", "ENHANCEDSTATUSCODES", "SIZE 52428800" };
            if (Script.EightBitMime)
            {
                lines.Add("8BITMIME");
            }

            if (Script.SmtpUtf8)
            {
                lines.Add("SMTPUTF8");
            }

            if (Script.Dsn)
            {
                lines.Add("DSN");
            }

            if (Script.StartTls && !_tls)
            {
                lines.Add("STARTTLS");
            }

            if (Script.Auth is not null)
            {
                lines.Add("AUTH PLAIN");
            }

            return string.Join("\r\n", lines.Select((l, i) => (i == lines.Count - 1 ? "250 " : "250-") + l));
        }

        private async Task AuthenticateAsync(string line, (string UserName, string Password) expected, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref server._authAttempts);
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var initial = parts.Length > 2 ? parts[2] : null;
            if (initial is null)
            {
                await ReplyAsync("334 ", cancellationToken);
                initial = await _reader.ReadLineAsync(cancellationToken) ?? string.Empty;
            }

            var fields = Encoding.UTF8.GetString(Convert.FromBase64String(initial)).Split('\0');
            if (fields.Length == 3 && fields[1] == expected.UserName && fields[2] == expected.Password)
            {
                _authUser = fields[1];
                await ReplyAsync("235 2.7.0 Authentication successful", cancellationToken);
            }
            else
            {
                await ReplyAsync("535 5.7.8 Authentication credentials invalid", cancellationToken);
            }
        }

        private async Task<bool> DataAsync(CancellationToken cancellationToken)
        {
            if (_mailFromLine is null || _to.Count == 0)
            {
                await ReplyAsync("554 5.5.1 No valid recipients", cancellationToken);
                return true;
            }

            await ReplyAsync("354 End data with <CR><LF>.<CR><LF>", cancellationToken);
            var data = new StringBuilder();
            while (await _reader.ReadLineAsync(cancellationToken) is { } line && line != ".")
            {
                data.Append(line.StartsWith('.') ? line[1..] : line).Append("\r\n");
            }

            var attempt = Interlocked.Increment(ref server._dataCount);
            await Task.Delay(Script.DataDelay(attempt), cancellationToken);
            var reply = Script.Data(attempt);
            if (reply is null)
            {
                return false;
            }

            if (reply.StartsWith('2'))
            {
                server._accepted.Enqueue(new ScriptedMail(_mailFromLine, Path(_mailFromLine), [.. _to], Encoding.Latin1.GetBytes(data.ToString()), _tls, _authUser, _helo, [.. _rcptLines]));
            }

            _mailFromLine = null;
            _to.Clear();
            _rcptLines.Clear();
            await ReplyAsync(reply, cancellationToken);
            return !ClosesSession(reply) && !Script.CloseAfterDataReply;
        }

        /// <summary>RFC 5321 3.8: a server that answers 421 closes the connection after it.</summary>
        private static bool ClosesSession(string reply) => reply.StartsWith("421", StringComparison.Ordinal);

        private async Task UpgradeAsync(CancellationToken cancellationToken)
        {
            var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate.Value }, cancellationToken);
            _stream = ssl;
            _reader = Reader(ssl);
            _tls = true;
        }

        private async Task ReplyAsync(string reply, CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(Encoding.Latin1.GetBytes(reply + "\r\n"), cancellationToken);
            await _stream.FlushAsync(cancellationToken);
        }

        /// <summary>The address between the angle brackets of MAIL FROM or RCPT TO.</summary>
        private static string Path(string line)
        {
            var open = line.IndexOf('<', StringComparison.Ordinal);
            var close = line.IndexOf('>', open + 1);
            return open >= 0 && close > open ? line[(open + 1)..close] : string.Empty;
        }

        /// <summary>Latin-1 maps every byte to one char and back, so 8-bit and UTF-8 bodies survive unchanged.</summary>
        private static StreamReader Reader(Stream stream) => new(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
    }
}
