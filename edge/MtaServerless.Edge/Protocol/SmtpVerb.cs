namespace MtaServerless.Edge.Protocol;

internal enum SmtpVerb
{
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
}
