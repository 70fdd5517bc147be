using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace MtaServerless.Testing;

/// <summary>
/// A raw SMTP client for conversations that polite clients never have: it sends exactly the
/// bytes it is given and reads replies (multi-line ones whole) as the server wrote them.
/// </summary>
public sealed class SmtpWireClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private SmtpWireClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false);
    }

    public static async Task<SmtpWireClient> ConnectAsync(IPEndPoint endpoint)
    {
        var tcp = new TcpClient(endpoint.AddressFamily);
        await tcp.ConnectAsync(endpoint);
        return new SmtpWireClient(tcp);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends one byte per write, so the server sees every possible buffer boundary.</summary>
    public async Task SendByteByByteAsync(string text)
    {
        foreach (var b in Encoding.Latin1.GetBytes(text))
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
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException($"The server closed the connection; read so far: {reply}");
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
        Assert.Null(await _reader.ReadLineAsync(timeout.Token));
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }
}
