using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// Who may send to whom (invariant 4, no open relay). A recipient is accepted when its domain's route
/// accepts inbound mail, or when the client may relay (authenticated or in a trusted network).
/// <c>reject</c> routes refuse everyone; <c>mailbox</c> routes accept only addresses the users table
/// knows, so unknown users are refused now rather than bounced later, and their postmaster (see <see cref="Postmaster"/>).
/// </summary>
internal static class RecipientPolicy
{
    private const int MaxRejectText = 200;

    // Characters that older MTAs read as routing inside a local part: the percent hack (user%other@here),
    // bang paths (other!user@here) and a quoted "@". From a client that may not relay, they are refused.
    private static readonly char[] RoutingCharacters = ['%', '!', '@'];

    /// <returns>A refusal; or none, and where the message goes: the recipient, or the postmaster address for a mailbox domain's postmaster.</returns>
    public static async ValueTask<(SmtpReply? Refusal, MailboxAddress Recipient)> CheckAsync(SmtpSession session, MailboxAddress recipient, CancellationToken cancellationToken)
    {
        var server = session.Server;
        RouteTable routes;
        try
        {
            routes = await server.Routes.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            EdgeLog.DirectoryFailed(server.Logger, session.ConnectionId, ex);
            return (SmtpRejections.Reply(SmtpRejection.StorageFailure), recipient);
        }

        var route = routes.Resolve(recipient.Domain);
        if (route is { Action: RouteAction.Reject })
        {
            return (RejectReply(route.RejectText), recipient);
        }

        if (!session.MayRelay && (route is not { AcceptsInbound: true } || recipient.LocalPart.IndexOfAny(RoutingCharacters) >= 0))
        {
            EdgeLog.RelayDenied(server.Logger, session.ConnectionId, recipient.Domain);
            return (SmtpRejections.Reply(SmtpRejection.RelayDenied), recipient);
        }

        if (route is { Action: RouteAction.Mailbox })
        {
            try
            {
                var users = await server.Users.GetAsync(cancellationToken).ConfigureAwait(false);
                if (!users.HasMailbox(recipient.ToString()))
                {
                    return Postmaster.Is(recipient)
                        ? (null, server.Postmaster.Address ?? recipient)
                        : (SmtpRejections.Reply(SmtpRejection.UnknownUser), recipient);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                EdgeLog.DirectoryFailed(server.Logger, session.ConnectionId, ex);
                return (SmtpRejections.Reply(SmtpRejection.StorageFailure), recipient);
            }
        }

        return (null, recipient);
    }

    // The route's own text goes to the client, so it is kept to printable ASCII on one line.
    private static SmtpReply RejectReply(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return SmtpRejections.Reply(SmtpRejection.RecipientRejected);
        }

        var clean = new string([.. text.Where(c => c is >= ' ' and <= '~').Take(MaxRejectText)]).Trim();
        return clean.Length == 0 ? SmtpRejections.Reply(SmtpRejection.RecipientRejected) : SmtpReply.Create(550, "5.7.1", clean);
    }
}
