namespace MtaServerless.Edge.Sessions;

internal enum SmtpState
{
    /// <summary>Greeted, waiting for HELO or EHLO.</summary>
    Connected,

    /// <summary>The client has said who it is; no mail transaction is open.</summary>
    Identified,

    MailGiven,

    RecipientGiven,

    Closed,
}
