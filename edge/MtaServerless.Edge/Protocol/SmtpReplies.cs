namespace MtaServerless.Edge.Protocol;

/// <summary>The positive replies; refusals come from <see cref="SmtpRejections"/>.</summary>
internal static class SmtpReplies
{
    public static readonly SmtpReply Ok = SmtpReply.Create(250, "2.0.0", "Ok");

    public static readonly SmtpReply SenderOk = SmtpReply.Create(250, "2.1.0", "Sender ok");

    public static readonly SmtpReply RecipientOk = SmtpReply.Create(250, "2.1.5", "Recipient ok");

    public static readonly SmtpReply StartMailInput = SmtpReply.Create(354, null, "End data with <CR><LF>.<CR><LF>");

    public static readonly SmtpReply Closing = SmtpReply.Create(221, "2.0.0", "Bye");

    public static SmtpReply Greeting(string hostName) => SmtpReply.Create(220, null, $"{hostName} ESMTP MtaServerless");

    public static SmtpReply Hello(string hostName) => SmtpReply.Create(250, null, hostName);

    public static SmtpReply Queued(string messageId) => SmtpReply.Create(250, "2.0.0", $"Ok: queued as {messageId}");
}
