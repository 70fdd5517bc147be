using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

/// <summary>
/// BDAT (RFC 3030): the chunk's octets follow the command whatever the reply, so even a refused BDAT
/// has its bytes read and thrown away, never parsed as commands. The reply comes after the bytes.
/// </summary>
internal static class BdatCommand
{
    /// <summary>Reads <c>size [LAST]</c>.</summary>
    public static bool TryReadArguments(ReadOnlySequence<byte> argument, out long size, out bool last)
    {
        last = false;
        var reader = new SequenceReader<byte>(argument);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> number, (byte)' ', advancePastDelimiter: true))
        {
            number = argument;
            reader.AdvanceToEnd();
        }

        if (!MailCommand.TryReadNumber(number, out size))
        {
            return false;
        }

        var rest = reader.UnreadSequence;
        last = AsciiSequence.EqualsIgnoreCase(rest, "LAST"u8);
        return rest.IsEmpty || last;
    }

    /// <returns>Null when the chunk is expected (the reply follows its bytes); a refusal otherwise.</returns>
    public static async ValueTask<SmtpReply?> HandleAsync(SmtpSession session, long size, bool last, CancellationToken cancellationToken)
    {
        if (session.Message is null)
        {
            if (await MessageReceiver.BeginAsync(session, cancellationToken).ConfigureAwait(false) is not { } message)
            {
                return SmtpRejections.Reply(SmtpRejection.StorageFailure);
            }

            session.Message = message;
        }

        session.Message.ExpectChunk(size, last);
        return null;
    }
}
