namespace MtaServerless.Edge.Sessions;

internal enum SmtpState
{
    /// <summary>Greeted (or just secured by TLS), waiting for HELO or EHLO.</summary>
    Connected,

    /// <summary>The client has said who it is; no mail transaction is open.</summary>
    Identified,

    MailGiven,

    RecipientGiven,

    /// <summary>At least one BDAT chunk is in; only more BDAT, RSET, NOOP, HELO/EHLO or QUIT may follow.</summary>
    Chunking,

    Closed,
}
