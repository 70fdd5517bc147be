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
                SmtpRejection.SenderNotAllowed => SmtpReply.Create(553, "5.7.1", "Sender address not allowed for this login"),
                SmtpRejection.SendingLimitReached => SmtpReply.Create(451, "4.7.1", "Sending limit reached, try again later"),
                SmtpRejection.InvalidRecipient => SmtpReply.Create(501, "5.1.3", "Bad recipient address syntax"),
                SmtpRejection.UnsupportedParameter => SmtpReply.Create(555, "5.5.4", "Unsupported parameter"),
                SmtpRejection.NonAsciiAddress => SmtpReply.Create(553, "5.6.7", "Non-ASCII address needs SMTPUTF8"),
                SmtpRejection.MessageTooBig => SmtpReply.Create(552, "5.3.4", "Message size exceeds fixed limit"),
                SmtpRejection.TooManyRecipients => SmtpReply.Create(452, "4.5.3", "Too many recipients"),
                SmtpRejection.RelayDenied => SmtpReply.Create(554, "5.7.1", "Relay access denied"),
                SmtpRejection.AddressLiteralRecipient => SmtpReply.Create(550, "5.1.2", "Address literal not accepted as destination"),
                SmtpRejection.RecipientRejected => SmtpReply.Create(550, "5.7.1", "Recipient rejected"),
                SmtpRejection.UnknownUser => SmtpReply.Create(550, "5.1.1", "Mailbox unavailable"),
                SmtpRejection.AuthenticationRequired => SmtpReply.Create(530, "5.7.0", "Authentication required"),
                SmtpRejection.EncryptionRequired => SmtpReply.Create(538, "5.7.11", "Encryption required for requested authentication mechanism"),
                SmtpRejection.AuthenticationFailed => SmtpReply.Create(535, "5.7.8", "Authentication credentials invalid"),
                SmtpRejection.AuthThrottledAddress => SmtpReply.Create(421, "4.7.0", "Too many failed logins, try again later"),
                SmtpRejection.AuthThrottledAccount => SmtpReply.Create(454, "4.7.0", "Temporary authentication failure, try again later"),
                SmtpRejection.AuthenticationCanceled => SmtpReply.Create(501, "5.0.0", "Authentication canceled"),
                SmtpRejection.InvalidAuthResponse => SmtpReply.Create(501, "5.5.2", "Cannot decode response"),
                SmtpRejection.UnsupportedMechanism => SmtpReply.Create(504, "5.5.4", "Unrecognized authentication type"),
                SmtpRejection.AlreadyAuthenticated => SmtpReply.Create(503, "5.5.1", "Already authenticated"),
                SmtpRejection.TlsNotAvailable => SmtpReply.Create(454, "4.7.0", "TLS not available"),
                SmtpRejection.AlreadySecure => SmtpReply.Create(503, "5.5.1", "TLS already active"),
                SmtpRejection.BareLineBreakInData => SmtpReply.Create(550, "5.6.11", "Bare CR or LF not allowed in message"),
                SmtpRejection.NulInData => SmtpReply.Create(554, "5.6.0", "NUL not allowed in message"),
                SmtpRejection.TextLineTooLong => SmtpReply.Create(554, "5.6.0", "Message line too long"),
                SmtpRejection.StorageFailure => SmtpReply.Create(451, "4.3.0", "Temporary failure, try again later"),
                SmtpRejection.Timeout => SmtpReply.Create(421, "4.4.2", "Timeout, closing connection"),
                SmtpRejection.TooManyErrors => SmtpReply.Create(421, "4.7.0", "Too many errors, closing connection"),
                SmtpRejection.TooManyConnections => SmtpReply.Create(421, "4.7.0", "Too many connections, try again later"),
                SmtpRejection.ShuttingDown => SmtpReply.Create(421, "4.3.2", "Service shutting down"),
                _ => throw new InvalidOperationException($"No reply for rejection {rejection}."),
            };
        }

        return replies;
    }
}
