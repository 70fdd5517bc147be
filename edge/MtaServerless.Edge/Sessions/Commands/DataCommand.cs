using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class DataCommand
{
    public static async ValueTask<SmtpReply> HandleAsync(SmtpSession session, ReadOnlySequence<byte> argument, CancellationToken cancellationToken)
    {
        if (!argument.IsEmpty)
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        // On failure the envelope stays open: the client may try DATA again or RSET.
        if (await MessageReceiver.BeginAsync(session, cancellationToken).ConfigureAwait(false) is not { } message)
        {
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        message.ExpectDotData();
        session.Message = message;
        session.ResetTransaction();
        return SmtpReplies.StartMailInput;
    }
}
