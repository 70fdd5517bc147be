namespace MtaServerless.Pipeline.Bounce;

/// <summary>The reports this MTA sends (RFC 3464 2.3.3 actions): a final failure, a warning that delivery is still being retried, and the success reports NOTIFY=SUCCESS asks for.</summary>
public enum DsnKind
{
    Failed,
    Delayed,

    /// <summary>Delivered to a local mailbox.</summary>
    Delivered,

    /// <summary>Handed to a next hop that does not offer DSN, so no further report can come (RFC 3461 5.2.3).</summary>
    Relayed,
}
