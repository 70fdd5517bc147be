namespace MtaServerless.Edge.Protocol;

/// <summary>The positive replies; refusals come from <see cref="SmtpRejections"/>.</summary>
internal static class SmtpReplies
{
    public static readonly SmtpReply Ok = SmtpReply.Create(250, "2.0.0", "Ok");

    public static readonly SmtpReply SenderOk = SmtpReply.Create(250, "2.1.0", "Sender ok");

    public static readonly SmtpReply RecipientOk = SmtpReply.Create(250, "2.1.5", "Recipient ok");

    public static readonly SmtpReply StartMailInput = SmtpReply.Create(354, null, "End data with <CR><LF>.<CR><LF>");

    public static readonly SmtpReply Closing = SmtpReply.Create(221, "2.0.0", "Bye");

    public static readonly SmtpReply ReadyForTls = SmtpReply.Create(220, "2.0.0", "Ready to start TLS");

    public static readonly SmtpReply Authenticated = SmtpReply.Create(235, "2.7.0", "Authentication successful");

    /// <summary>RFC 4954: an empty challenge, for PLAIN without an initial response.</summary>
    public static readonly SmtpReply EmptyChallenge = SmtpReply.Create(334, null, string.Empty);

    public static readonly SmtpReply UsernameChallenge = SmtpReply.Create(334, null, "VXNlcm5hbWU6");

    public static readonly SmtpReply PasswordChallenge = SmtpReply.Create(334, null, "UGFzc3dvcmQ6");

    public static readonly SmtpReply Help = SmtpReply.Create(214, "2.0.0", "See RFC 5321");

    /// <summary>RFC 5321 3.5.3: VRFY never confirms or denies an address.</summary>
    public static readonly SmtpReply CannotVerify = SmtpReply.Create(252, "2.5.2", "Cannot verify user, but will accept message and attempt delivery");

    public static SmtpReply Greeting(string hostName) => SmtpReply.Create(220, null, $"{hostName} ESMTP MtaServerless");

    public static SmtpReply Hello(string hostName) => SmtpReply.Create(250, null, hostName);

    public static SmtpReply Queued(string messageId) => SmtpReply.Create(250, "2.0.0", $"Ok: queued as {messageId}");

    public static SmtpReply ChunkReceived(long size) => SmtpReply.Create(250, "2.0.0", $"{size} octets received");
}
