using System.Net;
using MtaServerless.Core.Mail;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>The identity check_host() starts from (RFC 7208 2.3, 2.4, 4.3): the MAIL FROM address, or postmaster at the HELO name.</summary>
/// <param name="Sender">The <c>s</c> macro: local-part@domain.</param>
internal sealed record SpfIdentity(string Sender, string LocalPart, string Domain, string Helo, bool FromHelo)
{
    private const string Postmaster = "postmaster";

    /// <param name="mailFrom">The reverse path without angle brackets; empty for the null sender.</param>
    public static SpfIdentity From(string helo, string mailFrom)
    {
        helo = ALabels(helo);
        if (mailFrom.Length == 0)
        {
            return new SpfIdentity($"{Postmaster}@{helo}", Postmaster, helo, helo, FromHelo: true);
        }

        // The last "@": a quoted local-part may hold one of its own.
        var at = mailFrom.LastIndexOf('@');
        var localPart = at > 0 ? mailFrom[..at] : Postmaster;
        var domain = ALabels(mailFrom[(at + 1)..]);
        return new SpfIdentity($"{localPart}@{domain}", localPart, domain, helo, FromHelo: false);
    }

    /// <summary>
    /// RFC 8616 3: an internationalized name (SMTPUTF8) is checked as its A-labels, the form DNS and SPF records hold; a
    /// name that does not convert stays as it is, and check_host() finds it no domain (none).
    /// </summary>
    private static string ALabels(string name) =>
        System.Text.Ascii.IsValid(name) || !DomainName.TryNormalize(name, out var converted) ? name : converted;

    public SpfMacroValues MacroValues(IPAddress client, string domain, string? validatedName) =>
        new(Sender, LocalPart, Domain, Helo, client, domain, validatedName);
}
