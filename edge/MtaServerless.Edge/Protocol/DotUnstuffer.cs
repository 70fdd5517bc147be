namespace MtaServerless.Edge.Protocol;

/// <summary>
/// Turns the DATA stream into message bytes: removes the dot that stuffs a line starting with a dot and
/// finds the end of data. Its state survives buffer boundaries, so input can be cut anywhere.
/// </summary>
/// <remarks>
/// Only CRLF.CRLF ends DATA; the CRLF of the 354 counts as the first one, so a lone "." line ends an
/// empty message. Policy for a bare CR or LF: it is never a line end (so "\n.\r\n" cannot end DATA and
/// smuggle a second message), and it marks the message, which the session then refuses with
/// 550 5.6.11 after reading to the real end. Accepted messages are therefore CRLF-clean, as the spool promises.
/// </remarks>
internal struct DotUnstuffer
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const byte Dot = (byte)'.';

    private State _state;

    private enum State
    {
        LineStart,
        Text,
        Cr,
        LeadingDot,
        LeadingDotCr,
    }

    public bool SawBareLineBreak { get; private set; }

    /// <summary>Unstuffs until <paramref name="input"/> is used up or the end of data is found.</summary>
    /// <param name="output">At least as long as <paramref name="input"/>: unstuffing only removes bytes.</param>
    /// <returns>True when the end of data was consumed; bytes after it belong to the next command.</returns>
    public bool Process(ReadOnlySpan<byte> input, Span<byte> output, out int consumed, out int written)
    {
        if (output.Length < input.Length)
        {
            throw new ArgumentException("The output must be at least as long as the input.", nameof(output));
        }

        var read = 0;
        var write = 0;
        while (read < input.Length)
        {
            var b = input[read];
            switch (_state)
            {
                case State.LineStart when b == Dot:
                    read++;
                    _state = State.LeadingDot;
                    break;
                case State.LineStart:
                    _state = State.Text;
                    break;
                case State.Text:
                {
                    // Copy the run up to and including the next CR or LF in one go.
                    var run = input[read..].IndexOfAny(Cr, Lf);
                    var length = run < 0 ? input.Length - read : run + 1;
                    input.Slice(read, length).CopyTo(output[write..]);
                    read += length;
                    write += length;
                    if (run >= 0)
                    {
                        _state = input[read - 1] == Cr ? State.Cr : Bare(State.Text);
                    }

                    break;
                }
                case State.Cr when b == Lf:
                    output[write++] = b;
                    read++;
                    _state = State.LineStart;
                    break;
                case State.Cr:
                    // Not consumed: this byte is looked at again as text (it may be the CR of a real CRLF).
                    _state = Bare(State.Text);
                    break;
                case State.LeadingDot when b == Cr:
                    read++;
                    _state = State.LeadingDotCr;
                    break;
                case State.LeadingDot:
                    // The dot was stuffing: it is dropped, and this byte starts the line's text.
                    _state = State.Text;
                    break;
                case State.LeadingDotCr when b == Lf:
                    read++;
                    _state = State.LineStart;
                    consumed = read;
                    written = write;
                    return true;
                case State.LeadingDotCr:
                    // ".<CR>" without LF: the held CR is dropped, which is harmless because the message is refused.
                    _state = Bare(State.Text);
                    break;
            }
        }

        consumed = read;
        written = write;
        return false;
    }

    private State Bare(State next)
    {
        SawBareLineBreak = true;
        return next;
    }
}
