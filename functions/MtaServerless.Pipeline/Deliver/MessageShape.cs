namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Where a message has octets above 127, which decides what a next hop must offer: 8-bit header fields
/// need SMTPUTF8 when the sender asked for it (RFC 6531 3.4), 8-bit anywhere needs 8BITMIME or a
/// conversion (RFC 6152 3).
/// </summary>
public readonly record struct MessageShape(bool HeadersEightBit, bool BodyEightBit)
{
    public bool EightBit => HeadersEightBit || BodyEightBit;
}

/// <summary>Reads a message's bytes in any split and tells its <see cref="MessageShape"/>; the header section ends at the first empty line.</summary>
internal struct MessageShapeScanner
{
    private bool _inBody;
    private bool _lineEmpty;
    private bool _headersEightBit;
    private bool _bodyEightBit;

    public MessageShapeScanner() => _lineEmpty = true;

    public readonly MessageShape Shape => new(_headersEightBit, _bodyEightBit);

    public void Scan(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && !_inBody)
        {
            var b = bytes[0];
            bytes = bytes[1..];
            switch (b)
            {
                case (byte)'\n':
                    _inBody = _lineEmpty;
                    _lineEmpty = true;
                    break;
                case (byte)'\r':
                    break;
                default:
                    _lineEmpty = false;
                    _headersEightBit |= b > 127;
                    break;
            }
        }

        _bodyEightBit |= _inBody && bytes.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
    }
}
