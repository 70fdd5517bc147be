using System.Buffers;
using System.Text;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// Checks the <c>From:</c> and <c>Sender:</c> fields of a logged-in user's message against the addresses the login
/// may use, as the header section streams past: every mailbox of every such field must be allowed. It holds one
/// field's value at a time (at most <see cref="MaxFieldLength"/> octets) and nothing once the header section ends.
/// </summary>
internal sealed class SenderFieldsCheck(SenderPermissions senders) : IDisposable
{
    /// <summary>Longer than any author list a person writes; a longer field is refused rather than read in part.</summary>
    public const int MaxFieldLength = 8 * 1024;

    private readonly List<MailboxAddress> _mailboxes = [];
    private HeaderSectionReader _reader;
    private byte[]? _value;
    private int _length;

    /// <summary>The first field that names an address the login may not use (or that cannot be read); null while none has.</summary>
    public HeaderField? Refused { get; private set; }

    public void Inspect(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty && Refused is null && !_reader.IsComplete)
        {
            var read = _reader.Read(ref bytes, out var value);
            if (_reader.Field is not (HeaderField.From or HeaderField.Sender))
            {
                continue;
            }

            switch (read)
            {
                case HeaderSectionEvent.FieldStart:
                    _length = 0;
                    break;
                case HeaderSectionEvent.Value:
                    Append(value);
                    break;
                case HeaderSectionEvent.FieldEnd:
                    Check();
                    break;
            }
        }
    }

    /// <summary>At the end of the message: a header section without a body still ends its last field.</summary>
    public void Finish()
    {
        if (Refused is null && _reader.Finish() && _reader.Field is HeaderField.From or HeaderField.Sender)
        {
            Check();
        }
    }

    public void Dispose()
    {
        if (_value is not null)
        {
            ArrayPool<byte>.Shared.Return(_value);
            _value = null;
        }
    }

    private void Append(ReadOnlySpan<byte> value)
    {
        if (_length > MaxFieldLength)
        {
            return;
        }

        // One past the limit marks the field as too long without holding more of it.
        if (value.Length > MaxFieldLength - _length)
        {
            _length = MaxFieldLength + 1;
            return;
        }

        _value ??= ArrayPool<byte>.Shared.Rent(MaxFieldLength);
        value.CopyTo(_value.AsSpan(_length));
        _length += value.Length;
    }

    private void Check()
    {
        _mailboxes.Clear();

        // RFC 6532 allows UTF-8 here; bytes that are not UTF-8 become U+FFFD, which no allowed address holds.
        var text = _length is 0 or > MaxFieldLength ? string.Empty : Encoding.UTF8.GetString(_value!, 0, _length);
        if (_length > MaxFieldLength || !HeaderAddressList.TryParse(text, _mailboxes) || !_mailboxes.TrueForAll(senders.Allows))
        {
            Refused = _reader.Field;
        }
    }
}
