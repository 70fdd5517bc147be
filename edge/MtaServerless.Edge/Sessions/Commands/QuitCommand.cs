using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class QuitCommand
{
    public static SmtpReply Handle(ReadOnlySequence<byte> argument) =>
        argument.IsEmpty ? SmtpReplies.Closing : SmtpRejections.Reply(SmtpRejection.SyntaxError);
}
