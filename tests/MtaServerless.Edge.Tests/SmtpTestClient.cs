using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MtaServerless.Edge.Tests;

/// <summary>A scripted SMTP client on a raw socket: sends exactly the bytes a test gives and reads whole replies.</summary>
internal sealed class SmtpTestClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private SmtpTestClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.ASCII);
    }

    public static async Task<SmtpTestClient> ConnectAsync(IPEndPoint endpoint)
    {
        var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        return new SmtpTestClient(client);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>Sends one byte per write, so the server sees every possible buffer boundary.</summary>
    public async Task SendByteByByteAsync(string text)
    {
        foreach (var b in Encoding.ASCII.GetBytes(text))
        {
            await SendAsync([b]);
        }
    }

    /// <returns>The reply's lines joined with LF, or null when the server closed the connection.</returns>
    public async Task<string?> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        var lines = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                return lines.Count == 0 ? null : string.Join('\n', lines);
            }

            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return string.Join('\n', lines);
            }
        }
    }

    /// <summary>Reads one reply and checks how it starts, e.g. "250 2.1.5".</summary>
    public async Task<string> ExpectAsync(string start)
    {
        var reply = await ReadReplyAsync();
        Assert.NotNull(reply);
        Assert.StartsWith(start, reply, StringComparison.Ordinal);
        return reply;
    }

    /// <summary>Reads the greeting and says EHLO: where most scripts start.</summary>
    public async Task GreetAsync()
    {
        await ExpectAsync("220 ");
        await CommandAsync("EHLO client.example", "250");
    }

    /// <summary>Sends a command line and checks the reply.</summary>
    public async Task<string> CommandAsync(string line, string expected)
    {
        await SendAsync(line + "\r\n");
        return await ExpectAsync(expected);
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
