using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Xunit;

namespace MtaServerless.Testing;

/// <summary>
/// A raw SMTP client for conversations that polite clients never have: it sends exactly the
/// bytes it is given and reads replies (multi-line ones whole) as the server wrote them. It can
/// switch to TLS on the same socket (STARTTLS, or at once for implicit TLS), and then checks that
/// the server sent nothing the handshake would hide.
/// </summary>
public sealed class SmtpWireClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);
    private readonly TcpClient _tcp;
    private readonly byte[] _received = new byte[4096];
    private Stream _stream;
    private int _start;
    private int _end;

    private SmtpWireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>The TLS session once <see cref="StartTlsAsync"/> has run.</summary>
    public SslStream? Tls => _stream as SslStream;

    /// <param name="localAddress">The address to connect from, e.g. another of 127.0.0.0/8 to play a second client; any when null.</param>
    public static async Task<SmtpWireClient> ConnectAsync(IPEndPoint endpoint, bool implicitTls = false, IPAddress? localAddress = null)
    {
        var tcp = localAddress is null ? new TcpClient(endpoint.AddressFamily) : new TcpClient(new IPEndPoint(localAddress, 0));
        await tcp.ConnectAsync(endpoint);
        var client = new SmtpWireClient(tcp);
        if (implicitTls)
        {
            await client.StartTlsAsync();
        }

        return client;
    }

    /// <summary>The TLS handshake over the current stream; test certificates are self-signed, so any is accepted.</summary>
    public async Task StartTlsAsync(SslProtocols protocols = SslProtocols.None)
    {
        Assert.True(_start == _end, $"The server sent {_end - _start} bytes in plaintext after its last reply: {Encoding.Latin1.GetString(_received, _start, _end - _start)}");
        var tls = new SslStream(_stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols });
        _stream = tls;
    }

    /// <summary>Sends the text as UTF-8 (what SMTPUTF8 sessions speak); other bytes go through <see cref="SendAsync(byte[])"/>.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends one byte per write, so the server sees every possible buffer boundary.</summary>
    public async Task SendByteByByteAsync(string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            await SendAsync([b]);
        }
    }

    /// <summary>Reads one reply; for a multi-line reply, every line up to the one with a space after the code.</summary>
    public async Task<string> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        var reply = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(timeout.Token) ?? throw new IOException($"The server closed the connection; read so far: {reply}");
            reply.Append(line).Append('\n');
            if (line.Length < 4 || line[3] != '-')
            {
                return reply.ToString().TrimEnd('\n');
            }
        }
    }

    /// <summary>Sends one command line (CRLF added) and reads its reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>Reads one reply and checks how it starts, e.g. "250 2.1.5".</summary>
    public async Task<string> ExpectAsync(string start)
    {
        var reply = await ReadReplyAsync();
        Assert.StartsWith(start, reply, StringComparison.Ordinal);
        return reply;
    }

    /// <summary>Sends one command line (CRLF added) and checks how its reply starts.</summary>
    public async Task<string> CommandAsync(string line, string expected)
    {
        await SendAsync(line + "\r\n");
        return await ExpectAsync(expected);
    }

    /// <summary>Reads the greeting and says EHLO: where most scripts start.</summary>
    public async Task GreetAsync()
    {
        await ExpectAsync("220 ");
        await CommandAsync("EHLO client.example", "250");
    }

    /// <summary>
    /// Checks that the server closed the connection without another word. Reading the end of the
    /// stream is the only way to see the close, and ReadReplyAsync treats it as an error.
    /// </summary>
    public async Task ExpectClosedAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        try
        {
            Assert.Null(await ReadLineAsync(timeout.Token));
        }
        catch (IOException) when (Tls is not null)
        {
            // A TLS peer that closes without close_notify surfaces as an I/O error: closed all the same.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    /// <summary>AUTH PLAIN's initial response (RFC 4616): no authorization identity.</summary>
    public static string Plain(string user, string password) => Base64($"\0{user}\0{password}");

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <returns>The next line without its CRLF; what is left before the end of the stream; null at the end.</returns>
    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        while (true)
        {
            var newline = Array.IndexOf(_received, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                line.Write(_received, _start, newline - _start);
                _start = newline + 1;
                return Encoding.Latin1.GetString(line.GetBuffer(), 0, (int)line.Length).TrimEnd('\r');
            }

            line.Write(_received, _start, _end - _start);
            _start = _end = 0;
            _end = await _stream.ReadAsync(_received, cancellationToken);
            if (_end == 0)
            {
                return line.Length == 0 ? null : Encoding.Latin1.GetString(line.GetBuffer(), 0, (int)line.Length);
            }
        }
    }
}
