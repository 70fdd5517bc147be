using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class NoopCommand
{
    // RFC 5321 4.1.1.9: NOOP may carry a string, which is ignored.
    public static SmtpReply Handle() => SmtpReplies.Ok;
}
