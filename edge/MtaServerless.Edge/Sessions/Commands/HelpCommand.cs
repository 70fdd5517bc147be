using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class HelpCommand
{
    // RFC 5321 4.1.1.8: any argument (a command name) is answered with the same pointer.
    public static SmtpReply Handle() => SmtpReplies.Help;
}
