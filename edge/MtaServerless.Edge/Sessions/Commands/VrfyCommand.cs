using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class VrfyCommand
{
    // 252 for every name: confirming or denying users would hand out the users table (RFC 5321 7.3).
    public static SmtpReply Handle(ReadOnlySequence<byte> argument) =>
        argument.IsEmpty ? SmtpRejections.Reply(SmtpRejection.SyntaxError) : SmtpReplies.CannotVerify;
}
