using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

/// <summary>The HELO/EHLO argument: a domain or an address literal, kept as sent for the Received header.</summary>
internal static class ClientName
{
    private const int MaxLength = 255;

    // Deliberately lenient: many clients send names that are not valid domains, and the name proves nothing.
    public static bool TryRead(ReadOnlySequence<byte> argument, out string name)
    {
        var reader = new SequenceReader<byte>(argument);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> token, (byte)' ', advancePastDelimiter: true))
        {
            token = argument;
        }
        else
        {
            reader.AdvancePast((byte)' ');
            if (!reader.End)
            {
                token = default;
            }
        }

        name = string.Empty;
        if (token.IsEmpty || token.Length > MaxLength || !AsciiSequence.IsVisible(token))
        {
            return false;
        }

        name = AsciiSequence.GetString(token);
        return true;
    }
}
