using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// A raw SMTP client that can switch to TLS on the same socket, for what polite clients never do
/// (pipelining behind STARTTLS, AUTH exchanges sent by hand). It reads byte by byte so that nothing
/// the server sends is buffered across the switch.
/// </summary>
internal sealed class TlsWireClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private readonly TcpClient _tcp;
    private Stream _stream;

    private TlsWireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public SslStream? Tls => _stream as SslStream;

    public static async Task<TlsWireClient> ConnectAsync(IPEndPoint endpoint, bool implicitTls = false)
    {
        var tcp = new TcpClient(endpoint.AddressFamily);
        await tcp.ConnectAsync(endpoint);
        var client = new TlsWireClient(tcp);
        if (implicitTls)
        {
            await client.StartTlsAsync();
        }

        return client;
    }

    /// <summary>The TLS handshake over the current stream; the test certificate is self-signed, so any is accepted.</summary>
    public async Task StartTlsAsync(SslProtocols protocols = SslProtocols.None)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = EdgeServer.HostName, EnabledSslProtocols = protocols });
        _stream = tls;
    }

    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await _stream.FlushAsync();
    }

    public async Task<string> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        var reply = new StringBuilder();
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await _stream.ReadAsync(one, timeout.Token) == 0)
            {
                throw new IOException($"The server closed the connection; read so far: {reply}{line}");
            }

            if (one[0] != '\n')
            {
                line.Append((char)one[0]);
                continue;
            }

            var text = line.ToString().TrimEnd('\r');
            line.Clear();
            reply.Append(text).Append('\n');
            if (text.Length < 4 || text[3] != '-')
            {
                return reply.ToString().TrimEnd('\n');
            }
        }
    }

    public async Task<string> ExpectAsync(string start)
    {
        var reply = await ReadReplyAsync();
        Assert.StartsWith(start, reply, StringComparison.Ordinal);
        return reply;
    }

    public async Task<string> CommandAsync(string line, string expected)
    {
        await SendAsync(line + "\r\n");
        return await ExpectAsync(expected);
    }

    public async Task ExpectClosedAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        var buffer = new byte[256];
        try
        {
            Assert.Equal(0, await _stream.ReadAsync(buffer, timeout.Token));
        }
        catch (IOException)
        {
            // A TLS peer that closes without close_notify surfaces as an I/O error: closed all the same.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    public static string Plain(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
