namespace MtaServerless.Core.Mail;

/// <summary>
/// Counts the <c>Received:</c> fields of a message's header section as its bytes stream past, so
/// that the loop check (RFC 5321 6.3) needs no second read of the stored message. Its state survives
/// any split of the bytes; it stops looking at the blank line that ends the header section.
/// </summary>
public struct ReceivedHeaderCounter
{
    private static ReadOnlySpan<byte> FieldName => "received:"u8;

    private bool _inBody;
    private int _lineLength;

    /// <summary>How much of <see cref="FieldName"/> the current line has matched; -1 once it cannot.</summary>
    private int _matched;

    public int Count { get; private set; }

    public void Inspect(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (_inBody)
            {
                return;
            }

            switch (b)
            {
                case (byte)'\n':
                    _inBody = _lineLength == 0;
                    _lineLength = 0;
                    _matched = 0;
                    break;
                case (byte)'\r':
                    break;
                default:
                    if (_matched >= 0 && _matched == _lineLength)
                    {
                        // ASCII lower-casing: the field name is case-insensitive (RFC 5322 1.2.2).
                        _matched = (b | 0x20) == FieldName[_matched] ? _matched + 1 : -1;
                        if (_matched == FieldName.Length)
                        {
                            Count++;
                            _matched = -1;
                        }
                    }

                    _lineLength++;
                    break;
            }
        }
    }
}
