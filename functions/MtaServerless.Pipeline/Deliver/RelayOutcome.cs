using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>What the next hop (or this MTA on its behalf) decided for one recipient.</summary>
public sealed record RecipientOutcome(string Recipient, DeliveryOutcome Outcome);

/// <param name="Tls">The TLS protocol negotiated with that host (e.g. <c>Tls13</c>); null without TLS or without a connection.</param>
/// <param name="NextHopOffersDsn">The hop took the recipients' NOTIFY requests (RFC 3461 DSN): success reports are then its to send.</param>
public sealed record RelayResult(IReadOnlyList<RecipientOutcome> Outcomes, string? Tls = null, bool NextHopOffersDsn = false)
{
    public static RelayResult ForAll(IEnumerable<string> recipients, DeliveryOutcome outcome) =>
        new(recipients.Select(r => new RecipientOutcome(r, outcome)).ToList());
}

/// <summary>
/// The envelope one relay transaction sends: MAIL FROM and the parameters the client gave the edge
/// that a next hop must see again (RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 RET and ENVID), and the recipients.
/// </summary>
public sealed record RelayEnvelope(
    string MailFrom,
    IReadOnlyList<RelayRecipient> Recipients,
    bool SmtpUtf8,
    string? Body = null,
    DsnReturn? Ret = null,
    string? EnvId = null)
{
    /// <summary>RFC 6531 3.4: non-ASCII in an address needs SMTPUTF8 from the next hop.</summary>
    public bool HasInternationalAddress => !MailFrom.All(char.IsAscii) || Recipients.Any(r => !r.Address.All(char.IsAscii));
}

/// <summary>A recipient with its RFC 3461 NOTIFY and ORCPT, as the client gave them.</summary>
public sealed record RelayRecipient(string Address, DsnNotify Notify = DsnNotify.None, OriginalRecipient? Orcpt = null);
