using System.Buffers;
using System.Text;
using MtaServerless.Core.Deliveries;

namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>One SMTP reply as a next hop sent it: the code and the text of each line (RFC 5321 4.2).</summary>
internal readonly record struct HopReply(int Code, IReadOnlyList<string> Lines)
{
    public bool IsPositive => Code is >= 200 and < 300;

    public bool IsIntermediate => Code is >= 300 and < 400;

    public DeliveryOutcome ToOutcome(string host) => DeliveryOutcome.FromReply(Code, Lines, host);

    /// <summary>For logs: the first line as it came.</summary>
    public override string ToString() => Lines.Count > 0 ? $"{Code} {Lines[0]}" : Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// Reads replies line by line from the hop's bytes. Every read is bounded: a line longer than
/// <see cref="MaxLineLength"/> or a reply of more than <see cref="MaxLines"/> lines is a protocol
/// violation, never an unbounded buffer. A bare LF is taken as a line end, as lenient clients do.
/// </summary>
internal static class HopReplyParser
{
    /// <summary>RFC 5321 4.5.3.1.5 allows 512 octets; real servers exceed it, so this is generous but finite.</summary>
    public const int MaxLineLength = 4096;

    public const int MaxLines = 200;

    /// <returns>True and the reply when <paramref name="buffer"/> holds a whole one; <paramref name="consumed"/> is then after it.</returns>
    /// <exception cref="HopProtocolException">The bytes are not an SMTP reply.</exception>
    public static bool TryRead(ReadOnlySequence<byte> buffer, out HopReply reply, out SequencePosition consumed)
    {
        reply = default;
        consumed = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);
        var lines = new List<string>();
        var code = 0;
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            if (line.Length > MaxLineLength)
            {
                throw new HopProtocolException("The next hop sent a reply line that is too long.");
            }

            var text = Decode(line);
            if (!TryReadCode(text, out var lineCode))
            {
                throw new HopProtocolException($"The next hop sent something that is not an SMTP reply: '{Printable(text)}'.");
            }

            if (code != 0 && lineCode != code)
            {
                throw new HopProtocolException("The lines of a reply from the next hop carry different codes.");
            }

            code = lineCode;
            lines.Add(text.Length > 4 ? text[4..] : string.Empty);
            if (lines.Count > MaxLines)
            {
                throw new HopProtocolException("The next hop sent a reply with too many lines.");
            }

            if (text.Length == 3 || text[3] == ' ')
            {
                reply = new HopReply(code, lines);
                consumed = reader.Position;
                return true;
            }
        }

        if (reader.Remaining > MaxLineLength)
        {
            throw new HopProtocolException("The next hop sent a reply line that is too long.");
        }

        return false;
    }

    /// <summary>RFC 5321 4.2: a reply code is 2, 3, 4 or 5, then 0 to 5, then a digit, followed by a space, a hyphen or nothing.</summary>
    private static bool TryReadCode(string text, out int code)
    {
        code = 0;
        if (text.Length < 3 || text[0] is < '2' or > '5' || text[1] is < '0' or > '5' || !char.IsAsciiDigit(text[2]) || (text.Length > 3 && text[3] is not (' ' or '-')))
        {
            return false;
        }

        code = ((text[0] - '0') * 100) + ((text[1] - '0') * 10) + (text[2] - '0');
        return true;
    }

    private static string Decode(ReadOnlySequence<byte> line)
    {
        var text = Encoding.UTF8.GetString(line);
        return text.EndsWith('\r') ? text[..^1] : text;
    }

    private static string Printable(string text) => text.Length > 80 ? text[..80] : text;
}

/// <summary>The next hop broke the protocol (not a reply, a reply too long, plaintext after STARTTLS): the connection is dropped.</summary>
internal sealed class HopProtocolException(string message) : IOException(message);
