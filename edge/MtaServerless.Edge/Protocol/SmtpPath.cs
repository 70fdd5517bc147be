using System.Buffers;
using System.Text;
using MtaServerless.Core.Mail;

namespace MtaServerless.Edge.Protocol;

/// <summary>The argument of MAIL and RCPT: <c>FROM:</c> or <c>TO:</c>, a path in angle brackets, then ESMTP parameters.</summary>
internal static class SmtpPath
{
    // RFC 5321 4.5.3.1.3: a path is at most 256 octets, brackets included.
    private const int MaxAddressLength = 254;

    /// <param name="address">The bytes between the brackets; empty for the null path <c>&lt;&gt;</c>.</param>
    public static bool TryRead(ReadOnlySequence<byte> argument, ReadOnlySpan<byte> keyword, out ReadOnlySequence<byte> address, out ReadOnlySequence<byte> parameters)
    {
        address = default;
        parameters = default;
        var reader = new SequenceReader<byte>(argument);
        if (!reader.TryReadExact(keyword.Length, out var head) || !AsciiSequence.EqualsIgnoreCase(head, keyword))
        {
            return false;
        }

        // RFC 5321 has no space after the colon, but widely deployed clients send one.
        reader.AdvancePast((byte)' ');
        if (!reader.IsNext((byte)'<', advancePast: true))
        {
            return false;
        }

        var start = reader.Position;
        var quoted = false;
        while (reader.TryPeek(out var next))
        {
            if (next == (byte)'>' && !quoted)
            {
                address = argument.Slice(start, reader.Position);
                reader.Advance(1);
                return TryReadParameters(ref reader, out parameters);
            }

            reader.Advance(1);
            if (next == (byte)'"')
            {
                quoted = !quoted;
            }
            else if (next == (byte)'\\' && quoted && !reader.TryRead(out _))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Checks the address (RFC 5321 4.1.2) and makes the one string the envelope keeps, with its domain normalized.</summary>
    /// <param name="utf8">SMTPUTF8 was declared (RFC 6531): the address may hold UTF-8; without it only ASCII.</param>
    public static bool TryGetMailbox(ReadOnlySequence<byte> address, bool utf8, out MailboxAddress mailbox)
    {
        mailbox = default;
        if (address.Length > MaxAddressLength || !TryDecode(address, utf8, out var text))
        {
            return false;
        }

        // RFC 5321 4.1.1.3: a source route (@a,@b:user@c) must be accepted and ignored. Its domains hold no colon.
        if (text.StartsWith('@'))
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !MailboxSyntax.IsSourceRoute(text.AsSpan(0, colon), utf8))
            {
                return false;
            }

            text = text[(colon + 1)..];
        }

        return MailboxSyntax.TryParse(text, utf8, out mailbox);
    }

    /// <summary>True when the address holds bytes outside US-ASCII: with SMTPUTF8 undeclared that is its own refusal (553 5.6.7).</summary>
    public static bool IsNonAscii(ReadOnlySequence<byte> address) => !AsciiSequence.IsInRange(address, 0x00, 0x7f);

    // UTF-8 only when declared, and only well-formed; the grammar then decides which characters go where.
    private static bool TryDecode(ReadOnlySequence<byte> address, bool utf8, out string text)
    {
        text = string.Empty;
        if (!IsNonAscii(address))
        {
            text = AsciiSequence.GetString(address);
            return true;
        }

        if (!utf8)
        {
            return false;
        }

        try
        {
            text = Strict.GetString(address);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool TryReadParameters(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> parameters)
    {
        parameters = default;
        if (reader.End)
        {
            return true;
        }

        if (reader.AdvancePast((byte)' ') == 0)
        {
            return false;
        }

        parameters = reader.UnreadSequence;
        return true;
    }
}
