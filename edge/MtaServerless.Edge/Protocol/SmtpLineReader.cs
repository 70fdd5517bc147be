using System.Buffers;

namespace MtaServerless.Edge.Protocol;

internal enum LineStatus
{
    NeedMore,
    Line,
    TooLong,
}

/// <summary>
/// Cuts command lines at CRLF, the only line end SMTP has. A line is returned whole or not at all,
/// so the buffer the session holds never exceeds <see cref="MaxLineLength"/> plus one read.
/// </summary>
internal struct SmtpLineReader
{
    /// <summary>RFC 5321 4.5.3.1.4: a command line is at most 512 octets, CRLF included.</summary>
    public const int MaxLineLength = 512;

    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;

    // After a too-long line has been answered, its rest up to the next CRLF is thrown away unread.
    private bool _discarding;

    /// <param name="buffer">Sliced past whatever was consumed: a returned line, or discarded bytes.</param>
    /// <param name="line">The line without its CRLF; it may still contain a bare CR or LF, which the parser rejects.</param>
    public LineStatus Read(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        line = default;
        if (_discarding && !SkipPastLineEnd(ref buffer))
        {
            return LineStatus.NeedMore;
        }

        _discarding = false;
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out line, CrLf, advancePastDelimiter: true))
        {
            buffer = buffer.Slice(reader.Position);
            return line.Length + CrLf.Length > MaxLineLength ? LineStatus.TooLong : LineStatus.Line;
        }

        if (buffer.Length < MaxLineLength)
        {
            return LineStatus.NeedMore;
        }

        _discarding = true;
        SkipPastLineEnd(ref buffer);
        return LineStatus.TooLong;
    }

    private static bool SkipPastLineEnd(ref ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
        {
            // A bare LF inside the long line does not end it: keep looking.
            if (EndsWithCrLf(buffer, reader.Consumed))
            {
                buffer = buffer.Slice(reader.Position);
                return true;
            }
        }

        // Keep a trailing CR: its LF may be the first byte of the next read.
        var keep = buffer.Length > 0 && buffer.Slice(buffer.Length - 1).FirstSpan[0] == (byte)'\r' ? 1 : 0;
        buffer = buffer.Slice(buffer.Length - keep);
        return false;
    }

    private static bool EndsWithCrLf(ReadOnlySequence<byte> buffer, long lengthThroughLf) =>
        lengthThroughLf >= 2 && buffer.Slice(lengthThroughLf - 2, 1).FirstSpan[0] == (byte)'\r';
}
