using MtaServerless.Core.Deliveries;

namespace MtaServerless.Pipeline;

/// <summary>
/// Every outcome this MTA decides on a next hop's behalf, in one place: code, enhanced code and text.
/// Texts reach senders in DSNs, so they say what happened without configuration details; the logs say why.
/// </summary>
public static class LocalOutcomes
{
    public static DeliveryOutcome BadAddress { get; } = DeliveryOutcome.Local(550, "5.1.3", "Bad recipient address syntax");

    public static DeliveryOutcome Loop { get; } = DeliveryOutcome.Local(554, "5.4.6", "Routing loop detected: too many Received headers");

    public static DeliveryOutcome NoRoute { get; } = DeliveryOutcome.Local(550, "5.1.2", "No route to the recipient's domain");

    public static DeliveryOutcome DeliveredToMailbox { get; } = DeliveryOutcome.Local(250, "2.0.0", "Delivered to the local mailbox");

    /// <summary>
    /// Final, and never reported to the sender: the sender failed DMARC, so it is likely forged, and a DSN would be
    /// backscatter to whoever it names.
    /// </summary>
    public static DeliveryOutcome Quarantined { get; } = DeliveryOutcome.Local(250, "2.7.0", "Quarantined: the message failed DMARC");

    /// <summary>A recipient recorded "sent" whose stored reply is gone: the next hop's 2xx is all that is known.</summary>
    public static DeliveryOutcome AcceptedEarlier { get; } = DeliveryOutcome.Local(250, "2.0.0", "Accepted by the next hop in an earlier attempt");

    public static DeliveryOutcome NullMx { get; } = DeliveryOutcome.Local(556, "5.1.10", "Recipient domain accepts no mail (null MX)");

    public static DeliveryOutcome NoMailServer { get; } = DeliveryOutcome.Local(550, "5.1.2", "Recipient domain has no mail server");

    public static DeliveryOutcome DomainDoesNotExist { get; } = DeliveryOutcome.Local(550, "5.1.2", "Recipient domain does not exist");

    public static DeliveryOutcome MailServerHasNoAddress { get; } = DeliveryOutcome.Local(451, "4.4.3", "Mail server of the recipient domain has no address yet");

    public static DeliveryOutcome DirectoryFailure { get; } = DeliveryOutcome.Local(451, "4.4.3", "Directory server failure");

    /// <summary>A route names a credential that configuration does not hold: ours to fix, so the mail waits.</summary>
    public static DeliveryOutcome NotConfigured { get; } = DeliveryOutcome.Local(451, "4.3.5", "Next hop is not configured");

    /// <summary>A hop this run did not start because its lease would have ended first, or its host was stopping.</summary>
    public static DeliveryOutcome Postponed { get; } = DeliveryOutcome.Local(451, "4.3.0", "Delivery postponed to the next attempt");

    /// <summary>Given by a sweeper's task past the maximum lifetime: the recipient bounces without another attempt.</summary>
    public static DeliveryOutcome LifetimeOver { get; } = DeliveryOutcome.Local(451, "4.4.7", "Delivery time expired");

    public static DeliveryOutcome RejectedByRoute(string? text) => DeliveryOutcome.Local(550, "5.7.1", text ?? "Recipient rejected");

    /// <summary>No next hop took a transaction; <paramref name="reason"/> says what the last one did.</summary>
    public static DeliveryOutcome Unreachable(string? host, string reason) => DeliveryOutcome.Local(451, "4.4.1", $"No next hop could be reached: {reason}", host);

    /// <summary>The connection broke before the hop's reply decided the recipient: what it did is unknown, so it is tried again.</summary>
    public static DeliveryOutcome ConnectionLost(string host) => DeliveryOutcome.Local(451, "4.4.2", "Connection to the next hop was lost", host);

    /// <summary>Our credentials go only over TLS: a hop that offers none (or whose STARTTLS was stripped) gets no AUTH, and the mail waits.</summary>
    public static DeliveryOutcome CredentialsNeedTls(string host) => DeliveryOutcome.Local(451, "4.7.11", "Next hop offered no encryption for our credentials", host);

    public static DeliveryOutcome CredentialsRefused(string host) => DeliveryOutcome.Local(451, "4.7.8", "Next hop refused our credentials", host);

    /// <summary>RFC 6531 3.4: the message needs SMTPUTF8 (non-ASCII addresses or header fields) and the hop does not offer it.</summary>
    public static DeliveryOutcome NeedsSmtpUtf8(string host) => DeliveryOutcome.Local(550, "5.6.7", "Next hop does not accept internationalized mail (SMTPUTF8)", host);

    /// <summary>RFC 6152 3: 8-bit header fields cannot be converted to 7 bits for a hop without 8BITMIME.</summary>
    public static DeliveryOutcome NeedsEightBitMime(string host) => DeliveryOutcome.Local(554, "5.6.3", "Next hop does not accept 8-bit mail (8BITMIME) and the message cannot be converted", host);

    public static DeliveryOutcome Expired(DeliveryOutcome last, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(last);
        return last.WithRemark($"gave up after {lifetime.TotalHours:0.#} hours");
    }
}
