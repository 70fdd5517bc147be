using System.Globalization;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// The one place that says which extensions the edge offers, with the session conditions they depend on:
/// STARTTLS only before TLS and when a certificate is configured, AUTH only over TLS (RFC 4954 4).
/// </summary>
internal static class EhloAdvertisement
{
    public static SmtpReply For(SmtpSession session)
    {
        var server = session.Server;
        List<string> lines =
        [
            server.Options.HostName,
            "PIPELINING",
            "SIZE " + server.Options.Limits.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        ];
        if (!session.IsSecure && server.Tls.IsConfigured)
        {
            lines.Add("STARTTLS");
        }

        if (session.IsSecure && session.AuthUser is null)
        {
            lines.Add("AUTH PLAIN LOGIN");
        }

        lines.Add("HELP");
        return SmtpReply.MultiLine(250, lines);
    }
}
