using System.Buffers;
using MtaServerless.Core.Mail;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// RFC 5321 4.5.1: mail to the bare <c>&lt;Postmaster&gt;</c> and to <c>postmaster@</c> every domain we accept mail
/// for must be accepted. A domain relayed onwards passes its postmaster on to its own server; a mailbox domain needs
/// no users row for it: its postmaster goes to <see cref="EdgeOptions.PostmasterAddress"/>, or without one to a
/// mailbox of that name.
/// </summary>
internal sealed class Postmaster
{
    private const string LocalPart = "postmaster";

    public Postmaster(EdgeOptions options)
    {
        Address = options.PostmasterAddress is { } configured && TryParseAddress(configured, out var address) ? address : null;
        Bare = Address ?? (DomainName.TryNormalize(options.HostName, out var host) ? new MailboxAddress(LocalPart, host) : null);
    }

    /// <summary>The configured address, if any.</summary>
    public MailboxAddress? Address { get; }

    /// <summary>Where the bare <c>&lt;Postmaster&gt;</c> goes: the configured address, or postmaster at the edge's name (null when that is no domain).</summary>
    public MailboxAddress? Bare { get; }

    /// <summary>True for the path <c>Postmaster</c>, without a domain, in any case.</summary>
    public static bool IsBare(ReadOnlySequence<byte> path) => AsciiSequence.EqualsIgnoreCase(path, "postmaster"u8);

    /// <summary>The local part is case-insensitive for postmaster alone (RFC 5321 4.5.1), quoted or not.</summary>
    public static bool Is(MailboxAddress recipient) => string.Equals(recipient.UnquotedLocalPart, LocalPart, StringComparison.OrdinalIgnoreCase);

    /// <summary>An ASCII address, so that the postmaster can be reached from a transaction without SMTPUTF8.</summary>
    public static bool TryParseAddress(string address, out MailboxAddress mailbox) =>
        MailboxSyntax.TryParse(address.Trim(), utf8: false, out mailbox) && !MailboxSyntax.IsAddressLiteral(mailbox);
}
