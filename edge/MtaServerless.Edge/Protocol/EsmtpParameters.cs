using System.Buffers;

namespace MtaServerless.Edge.Protocol;

internal enum ParameterStatus
{
    End,
    Parameter,
    Invalid,
}

/// <summary>Reads <c>keyword[=value]</c> pairs separated by spaces (RFC 5321 4.1.2 esmtp-param) without making strings.</summary>
internal static class EsmtpParameters
{
    public static ParameterStatus Read(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> keyword, out ReadOnlySequence<byte> value)
    {
        keyword = default;
        value = default;
        reader.AdvancePast((byte)' ');
        if (reader.End)
        {
            return ParameterStatus.End;
        }

        if (!reader.TryReadTo(out ReadOnlySequence<byte> token, (byte)' ', advancePastDelimiter: true))
        {
            token = reader.UnreadSequence;
            reader.AdvanceToEnd();
        }

        var equals = token.PositionOf((byte)'=');
        keyword = equals is null ? token : token.Slice(0, equals.Value);
        if (equals is not null)
        {
            value = token.Slice(token.GetPosition(1, equals.Value));
            if (value.IsEmpty || !AsciiSequence.IsVisible(value))
            {
                return ParameterStatus.Invalid;
            }
        }

        return IsKeyword(keyword) ? ParameterStatus.Parameter : ParameterStatus.Invalid;
    }

    private static bool IsKeyword(ReadOnlySequence<byte> keyword)
    {
        if (keyword.IsEmpty || AsciiSequence.StartsWith(keyword, (byte)'-'))
        {
            return false;
        }

        foreach (var segment in keyword)
        {
            foreach (var b in segment.Span)
            {
                if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
