namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>
/// The message as DATA sends it (RFC 5321 4.5.2): a period that starts a line gets a second one, and
/// <see cref="EndAsync"/> ends the last line if the message did not and writes the final <c>.</c>.
/// Its state survives any split of the writes; nothing else of the bytes changes.
/// </summary>
internal sealed class DotStuffingStream(Stream inner) : Stream
{
    private static readonly byte[] Terminator = ".\r\n"u8.ToArray();
    private static readonly byte[] LineEnd = "\r\n"u8.ToArray();
    private static readonly byte[] Dot = [(byte)'.'];

    private bool _atLineStart = true;
    private bool _afterCr;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            if (_atLineStart && buffer.Span[0] == (byte)'.')
            {
                await inner.WriteAsync(Dot, cancellationToken).ConfigureAwait(false);
            }

            var lineFeed = buffer.Span.IndexOf((byte)'\n');
            var take = lineFeed < 0 ? buffer.Length : lineFeed + 1;
            await inner.WriteAsync(buffer[..take], cancellationToken).ConfigureAwait(false);
            _atLineStart = lineFeed >= 0;
            _afterCr = lineFeed < 0 && buffer.Span[take - 1] == (byte)'\r';
            buffer = buffer[take..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>The end of data: CRLF unless the message ended with one, then <c>.</c> CRLF.</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        if (!_atLineStart)
        {
            await inner.WriteAsync(_afterCr ? LineEnd.AsMemory(1) : LineEnd, cancellationToken).ConfigureAwait(false);
        }

        await inner.WriteAsync(Terminator, cancellationToken).ConfigureAwait(false);
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => throw new NotSupportedException("The message is written asynchronously.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The message is written asynchronously.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
