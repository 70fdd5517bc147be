using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class RsetCommand
{
    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!argument.IsEmpty)
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        session.ResetTransaction();
        return SmtpReplies.Ok;
    }
}
