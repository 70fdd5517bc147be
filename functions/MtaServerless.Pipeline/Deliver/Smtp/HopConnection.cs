using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>
/// One SMTP client connection to a next hop: commands out, replies in (read through a pipe, every
/// reply bounded), EHLO's capabilities, and the switch to TLS. It knows nothing of messages or policy.
/// </summary>
internal sealed class HopConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private Stream _stream;
    private PipeReader _reader;

    private HopConnection(NextHop hop, Socket socket, DateTimeOffset openedAt)
    {
        Hop = hop;
        OpenedAt = openedAt;
        _socket = socket;
        _network = new NetworkStream(socket, ownsSocket: false);
        _stream = _network;
        _reader = PipeReader.Create(_network, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public NextHop Hop { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>
    /// False once the hop has closed the connection or said something unasked (a 421 before it hangs up):
    /// an idle SMTP connection has nothing to read.
    /// </summary>
    public bool IsOpen => !_socket.Poll(0, SelectMode.SelectRead);

    public HopCapabilities Capabilities { get; private set; } = HopCapabilities.None;

    /// <summary>The negotiated TLS protocol (e.g. <c>Tls13</c>); null in plaintext.</summary>
    public string? Tls { get; private set; }

    /// <summary>The stream the message goes to after DATA or BDAT.</summary>
    public Stream Stream => _stream;

    public static async Task<HopConnection> OpenAsync(NextHop hop, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hop);
        var socket = hop.Address is { } address
            ? new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (hop.Address is { } known)
            {
                await socket.ConnectAsync(new IPEndPoint(known, hop.Port), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await socket.ConnectAsync(hop.Name, hop.Port, cancellationToken).ConfigureAwait(false);
            }

            // Commands are small and each waits for its reply: Nagle would only delay them.
            socket.NoDelay = true;
            return new HopConnection(hop, socket, now);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<HopReply> ReadReplyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            HopReply reply;
            var complete = false;
            try
            {
                complete = HopReplyParser.TryRead(buffer, out reply, out consumed);
            }
            finally
            {
                // A whole reply was taken: what follows it (the next pipelined reply) is not examined yet.
                _reader.AdvanceTo(consumed, complete ? consumed : buffer.End);
            }

            if (complete)
            {
                return reply;
            }

            if (result.IsCompleted)
            {
                throw new IOException("The next hop closed the connection.");
            }
        }
    }

    public async Task<HopReply> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await SendAsync([command], cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes commands in one flush, as RFC 2920 pipelining sends a group; addresses may be UTF-8 (RFC 6531).</summary>
    public async Task SendAsync(IReadOnlyList<string> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var bytes = Encoding.UTF8.GetBytes(string.Concat(commands.Select(c => c + "\r\n")));
        await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>EHLO, or HELO when the hop does not know EHLO (RFC 5321 3.2); sets <see cref="Capabilities"/>.</summary>
    public async Task<HopReply> HelloAsync(string localName, CancellationToken cancellationToken)
    {
        var reply = await CommandAsync($"EHLO {localName}", cancellationToken).ConfigureAwait(false);
        if (reply.IsPositive)
        {
            Capabilities = HopCapabilities.FromEhlo(reply.Lines);
            return reply;
        }

        Capabilities = HopCapabilities.None;
        return reply.Code >= 500 ? await CommandAsync($"HELO {localName}", cancellationToken).ConfigureAwait(false) : reply;
    }

    /// <summary>
    /// The TLS handshake, after STARTTLS's 220 or at once for implicit TLS (RFC 8314). Whatever the hop
    /// said in plaintext is forgotten (RFC 3207 4.2); bytes it sent after its 220 would be read as if they
    /// came through TLS, so they end the connection instead (the STARTTLS command injection attack).
    /// </summary>
    public async Task UpgradeAsync(bool verifyCertificate, CancellationToken cancellationToken)
    {
        if (_reader.TryRead(out var pending))
        {
            _reader.AdvanceTo(pending.Buffer.Start);
            if (!pending.Buffer.IsEmpty)
            {
                throw new HopProtocolException("The next hop sent plaintext after agreeing to start TLS.");
            }
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        _stream = tls;
        _reader = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        Capabilities = HopCapabilities.None;
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                // SNI and name checks need a name; an address literal gets neither.
                TargetHost = IPAddress.TryParse(Hop.Name, out _) ? string.Empty : Hop.Name,
                // Unverified TLS (RFC 7435) still keeps passive listeners out; verification is the route's choice.
                RemoteCertificateValidationCallback = verifyCertificate ? null : static (_, _, _, _) => true,
            },
            cancellationToken).ConfigureAwait(false);
        Tls = tls.SslProtocol.ToString();
    }

    /// <summary>
    /// Ends a connection that is not in a transaction: RFC 5321 4.1.1.10 has the client send QUIT before it closes
    /// the channel (a hop that hung up meanwhile gets none). Never throws: the hop's answer changes nothing.
    /// </summary>
    public async Task QuitAndCloseAsync(TimeSpan timeout)
    {
        if (IsOpen)
        {
            using var step = new CancellationTokenSource(timeout);
            try
            {
                await CommandAsync("QUIT", step.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        if (!ReferenceEquals(_stream, _network))
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        await _network.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
