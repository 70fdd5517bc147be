using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// The one place that says which extensions the edge offers. SIZE, STARTTLS, AUTH and SMTPUTF8 join here
/// with the session conditions they depend on (TLS or not, listener), which is why it takes the session.
/// </summary>
internal static class EhloAdvertisement
{
    private static readonly string[] Extensions = ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"];

    public static SmtpReply For(SmtpSession session) => SmtpReply.MultiLine(250, [session.Server.Options.HostName, .. Extensions]);
}
