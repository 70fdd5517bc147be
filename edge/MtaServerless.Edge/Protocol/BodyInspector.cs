using System.Buffers;

namespace MtaServerless.Edge.Protocol;

/// <summary>What is wrong with a message body, in the order the refusal is chosen.</summary>
internal enum BodyFault
{
    None,
    BareLineBreak,
    Nul,
    LineTooLong,
    TooBig,
}

/// <summary>
/// Checks the message bytes as they pass to the spool, whether they came through DATA or BDAT: only CRLF
/// ends a line, no NUL, text lines of at most 1000 octets with the CRLF (RFC 5321 4.5.3.1.6), and the
/// size limit counted on the real bytes rather than the client's SIZE claim. Its state survives chunk boundaries.
/// </summary>
internal struct BodyInspector(long maxSize)
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const int MaxTextLine = 998;

    private static readonly SearchValues<byte> LineBreakOrNul = SearchValues.Create([Cr, Lf, 0]);

    private bool _pendingCr;
    private int _lineLength;
    private BodyFault _fault;

    public long Size { get; private set; }

    /// <summary>The worst fault seen so far; a bare line break outranks the rest because it is how messages are smuggled.</summary>
    public readonly BodyFault Fault => _fault;

    public void Inspect(ReadOnlySpan<byte> bytes)
    {
        Size += bytes.Length;
        if (Size > maxSize)
        {
            Flag(BodyFault.TooBig);
        }

        while (!bytes.IsEmpty)
        {
            if (_pendingCr)
            {
                _pendingCr = false;
                if (bytes[0] == Lf)
                {
                    _lineLength = 0;
                    bytes = bytes[1..];
                    continue;
                }

                Flag(BodyFault.BareLineBreak);
            }

            var next = bytes.IndexOfAny(LineBreakOrNul);
            var text = next < 0 ? bytes.Length : next;
            _lineLength += text;
            if (_lineLength > MaxTextLine)
            {
                Flag(BodyFault.LineTooLong);
            }

            if (next < 0)
            {
                return;
            }

            switch (bytes[next])
            {
                case Cr:
                    _pendingCr = true;
                    break;
                case Lf:
                    Flag(BodyFault.BareLineBreak);
                    break;
                default:
                    Flag(BodyFault.Nul);
                    break;
            }

            bytes = bytes[(next + 1)..];
        }
    }

    /// <summary>At the end of the body: a CR with nothing after it is bare too.</summary>
    public void Finish()
    {
        if (_pendingCr)
        {
            Flag(BodyFault.BareLineBreak);
        }
    }

    public void FlagBareLineBreak() => Flag(BodyFault.BareLineBreak);

    private void Flag(BodyFault fault)
    {
        if (_fault == BodyFault.None || fault < _fault)
        {
            _fault = fault;
        }
    }
}
