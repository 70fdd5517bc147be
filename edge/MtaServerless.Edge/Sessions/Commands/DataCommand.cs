using System.Buffers;
using MtaServerless.Core.Spool;
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

        var server = session.Server;
        var receivedAt = server.Time.GetUtcNow();
        ISpoolTransaction transaction;
        try
        {
            transaction = await server.Spool.BeginAsync(receivedAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The envelope stays open: the client may try DATA again or RSET.
            EdgeLog.SpoolBeginFailed(server.Logger, session.ConnectionId, ex);
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        session.Data = new DataReceiver(session, transaction, session.CreateEnvelope(), session.CreateSessionInfo(receivedAt));
        session.ResetTransaction();
        return SmtpReplies.StartMailInput;
    }
}
