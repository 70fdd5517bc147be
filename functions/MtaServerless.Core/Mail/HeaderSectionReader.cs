using System.Runtime.CompilerServices;
using System.Text;

namespace MtaServerless.Core.Mail;

/// <summary>The header fields that readers of a header section look for; any other is <see cref="Other"/>.</summary>
public enum HeaderField : byte
{
    Other,
    Received,
    MessageId,
    Date,
    From,
    Sender,
}

public enum HeaderSectionEvent
{
    /// <summary>The bytes given are used up.</summary>
    NeedMore,

    /// <summary>A field's name and colon have been read: <see cref="HeaderSectionReader.Field"/> says which.</summary>
    FieldStart,

    /// <summary>A piece of the current field's value (for a field other than <see cref="HeaderField.Other"/>), unfolded.</summary>
    Value,

    /// <summary>The current field has ended: the next line does not continue it.</summary>
    FieldEnd,
}

/// <summary>
/// Reads a message's header section (RFC 5322 2.2) as its bytes stream past, cut anywhere: it names each field when
/// its colon arrives, hands over the value of the fields it knows, unfolded (the line break before folding white
/// space is dropped, the white space kept), and says when a field ends. It stops at the blank line that ends the
/// section, so the body costs nothing. A field name may be followed by white space before its colon (RFC 5322
/// 4.5's obsolete syntax, which readers of the message still honour). A CR is ignored and an LF ends a line: what
/// is stored holds only CRLF, since the edge refuses a bare CR or LF.
/// </summary>
public struct HeaderSectionReader
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';

    private State _state;
    private NameBuffer _name;
    private int _nameLength;

    // A field has started and has not ended: the next line may continue it.
    private bool _open;

    private enum State
    {
        LineStart,
        Name,
        Value,
        Body,
    }

    /// <summary>The field being read (or just ended).</summary>
    public HeaderField Field { get; private set; }

    /// <summary>The blank line has been read: the rest is body.</summary>
    public readonly bool IsComplete => _state == State.Body;

    /// <summary>Reads until something happens, slicing <paramref name="bytes"/> past what it used.</summary>
    /// <param name="value">With <see cref="HeaderSectionEvent.Value"/>, the piece of value; it points into <paramref name="bytes"/>.</param>
    public HeaderSectionEvent Read(ref ReadOnlySpan<byte> bytes, out ReadOnlySpan<byte> value)
    {
        value = default;
        while (!bytes.IsEmpty)
        {
            var b = bytes[0];
            switch (_state)
            {
                case State.Body:
                    bytes = default;
                    return HeaderSectionEvent.NeedMore;
                case State.LineStart when b == Cr:
                    bytes = bytes[1..];
                    break;
                case State.LineStart when b is (byte)' ' or (byte)'\t':
                    // Folding white space: the line continues the open field (a stray one continues nothing we know).
                    if (!_open)
                    {
                        Field = HeaderField.Other;
                        _open = true;
                    }

                    _state = State.Value;
                    break;
                case State.LineStart when _open:
                    // This byte is looked at again once the caller has seen the end.
                    _open = false;
                    return HeaderSectionEvent.FieldEnd;
                case State.LineStart when b == Lf:
                    bytes = bytes[1..];
                    _state = State.Body;
                    break;
                case State.LineStart:
                    _nameLength = 0;
                    _state = State.Name;
                    break;
                case State.Name:
                    bytes = bytes[1..];
                    if (b == (byte)':')
                    {
                        Field = Lookup();
                        _open = true;
                        _state = State.Value;
                        return HeaderSectionEvent.FieldStart;
                    }

                    if (b == Lf)
                    {
                        // A line without a colon is no field; white space after it continues nothing we know.
                        Field = HeaderField.Other;
                        _open = true;
                        _state = State.LineStart;
                    }
                    else if (b != Cr && _nameLength <= NameBuffer.Length)
                    {
                        // One past the buffer marks a name too long to be one we know.
                        if (_nameLength < NameBuffer.Length)
                        {
                            _name[_nameLength] = b;
                        }

                        _nameLength++;
                    }

                    break;
                case State.Value:
                {
                    var end = bytes.IndexOfAny(Cr, Lf);
                    if (end != 0)
                    {
                        var run = end < 0 ? bytes : bytes[..end];
                        bytes = bytes[run.Length..];
                        if (Field != HeaderField.Other)
                        {
                            value = run;
                            return HeaderSectionEvent.Value;
                        }

                        break;
                    }

                    _state = b == Lf ? State.LineStart : State.Value;
                    bytes = bytes[1..];
                    break;
                }
            }
        }

        return HeaderSectionEvent.NeedMore;
    }

    /// <summary>At the end of a message that has no body: the field still open ends here.</summary>
    /// <returns>True when a field ended (<see cref="Field"/> says which), as <see cref="HeaderSectionEvent.FieldEnd"/> would.</returns>
    public bool Finish()
    {
        var ended = _open;
        _open = false;
        _state = State.Body;
        return ended;
    }

    private readonly HeaderField Lookup()
    {
        if (_nameLength > NameBuffer.Length)
        {
            return HeaderField.Other;
        }

        ReadOnlySpan<byte> name = ((ReadOnlySpan<byte>)_name)[.._nameLength].TrimEnd(" \t"u8);
        return name.Length switch
        {
            4 when Ascii.EqualsIgnoreCase(name, "from"u8) => HeaderField.From,
            4 when Ascii.EqualsIgnoreCase(name, "date"u8) => HeaderField.Date,
            6 when Ascii.EqualsIgnoreCase(name, "sender"u8) => HeaderField.Sender,
            8 when Ascii.EqualsIgnoreCase(name, "received"u8) => HeaderField.Received,
            10 when Ascii.EqualsIgnoreCase(name, "message-id"u8) => HeaderField.MessageId,
            _ => HeaderField.Other,
        };
    }

    // The longest name we look for is Message-ID; some white space before the colon fits too.
    [InlineArray(Length)]
    private struct NameBuffer
    {
        public const int Length = 16;

        private byte _first;
    }
}
