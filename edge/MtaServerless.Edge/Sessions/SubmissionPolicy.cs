using MtaServerless.Core.Mail;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Limits;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// What a logged-in user may submit: only as an address the login owns (553 5.7.1 otherwise), and within the
/// user's messages per hour and recipients per day (451 4.7.1 otherwise). A client of a trusted network is not held
/// to either, as before AUTH existed; nor is an unauthenticated one, who can only reach domains that accept inbound mail.
/// </summary>
internal static class SubmissionPolicy
{
    /// <returns>Null when the session's account may use <paramref name="sender"/> in MAIL FROM.</returns>
    public static SmtpReply? CheckSender(SmtpSession session, MailboxAddress sender)
    {
        if (session.RestrictedAccount is not { } account || session.Senders!.Allows(sender))
        {
            return null;
        }

        EdgeLog.SenderRefused(session.Server.Logger, session.ConnectionId, account.Name, "MAIL FROM");
        return SmtpRejections.Reply(SmtpRejection.SenderNotAllowed);
    }

    /// <returns>Null when the session's account may start one more message.</returns>
    public static SmtpReply? CheckMessage(SmtpSession session) =>
        session.RestrictedAccount is { } account && session.Server.SendingLimits.IsMessageLimited(account)
            ? Refuse(session, account, SendingLimit.MessagesPerHour)
            : null;

    /// <returns>Null when the session's account may add one more recipient to the open transaction.</returns>
    public static SmtpReply? CheckRecipient(SmtpSession session) =>
        session.RestrictedAccount is { } account && session.Server.SendingLimits.IsRecipientLimited(account, session.RecipientCount)
            ? Refuse(session, account, SendingLimit.RecipientsPerDay)
            : null;

    /// <summary>Counts a message the spool has accepted against its user.</summary>
    public static void Record(SmtpSession session, int recipients)
    {
        if (session.RestrictedAccount is { } account)
        {
            session.Server.SendingLimits.Record(account, recipients);
        }
    }

    private static SmtpReply Refuse(SmtpSession session, UserAccount account, SendingLimit limit)
    {
        var server = session.Server;
        var value = server.SendingLimits.LimitOf(account, limit);
        EdgeLog.SendingLimited(server.Logger, session.ConnectionId, account.Name, value, limit);
        if (server.SendingLimits.IsFirstRefusal(account, limit))
        {
            server.Telemetry.UserLimitReached(session, account.Name, limit, value);
        }

        return SmtpRejections.Reply(SmtpRejection.SendingLimitReached);
    }
}
