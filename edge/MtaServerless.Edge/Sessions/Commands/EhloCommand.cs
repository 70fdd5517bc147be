using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class EhloCommand
{
    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!ClientName.TryRead(argument, out var name))
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        session.Identify(name, extended: true);
        return EhloAdvertisement.For(session);
    }
}
