namespace MtaServerless.Edge.Protocol;

/// <summary>
/// The one mapping from a rejection to its code, enhanced code and text. Texts are generic on purpose:
/// the details go to the log, never to the client.
/// </summary>
internal static class SmtpRejections
{
    private static readonly SmtpReply[] Replies = Build();

    public static SmtpReply Reply(SmtpRejection rejection) => Replies[(int)rejection];

    private static SmtpReply[] Build()
    {
        var replies = new SmtpReply[Enum.GetValues<SmtpRejection>().Length];
        foreach (var rejection in Enum.GetValues<SmtpRejection>())
        {
            replies[(int)rejection] = rejection switch
            {
                SmtpRejection.LineTooLong => SmtpReply.Create(500, "5.5.2", "Line too long"),
                SmtpRejection.BareLineBreakInCommand => SmtpReply.Create(500, "5.5.2", "Bare CR or LF not allowed"),
                SmtpRejection.UnknownCommand => SmtpReply.Create(500, "5.5.2", "Command unrecognized"),
                SmtpRejection.BadSequence => SmtpReply.Create(503, "5.5.1", "Bad sequence of commands"),
                SmtpRejection.SyntaxError => SmtpReply.Create(501, "5.5.4", "Syntax error in parameters"),
                SmtpRejection.InvalidSender => SmtpReply.Create(501, "5.1.7", "Bad sender address syntax"),
                SmtpRejection.InvalidRecipient => SmtpReply.Create(501, "5.1.3", "Bad recipient address syntax"),
                SmtpRejection.UnsupportedParameter => SmtpReply.Create(555, "5.5.4", "Unsupported parameter"),
                SmtpRejection.BareLineBreakInData => SmtpReply.Create(550, "5.6.11", "Bare CR or LF not allowed in message"),
                SmtpRejection.StorageFailure => SmtpReply.Create(451, "4.3.0", "Temporary failure, try again later"),
                SmtpRejection.Timeout => SmtpReply.Create(421, "4.4.2", "Timeout, closing connection"),
                SmtpRejection.ShuttingDown => SmtpReply.Create(421, "4.3.2", "Service shutting down"),
                _ => throw new InvalidOperationException($"No reply for rejection {rejection}."),
            };
        }

        return replies;
    }
}
