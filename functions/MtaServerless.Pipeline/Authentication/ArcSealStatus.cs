namespace MtaServerless.Pipeline.Authentication;

/// <summary>Whether Ingest added an ARC set (RFC 8617) to a received message, and why not.</summary>
public enum ArcSealStatus
{
    /// <summary>No <c>Authentication:ArcSealDomain</c>.</summary>
    Off,

    /// <summary>No recipient's route relays it (mailbox only, or nothing routed): nobody downstream needs our chain.</summary>
    NotForwarded,

    Sealed,

    /// <summary>The sealing domain has no RSA key in the key store.</summary>
    NoKey,

    /// <summary>The chain takes no more sets: i=50 reached, a seal with cv=fail in it already, or sets that do not pair up.</summary>
    Unsealable,
}

public static class ArcSealStatusNames
{
    /// <summary>The name in the <c>mta.message.authenticated</c> event.</summary>
    public static string ToName(ArcSealStatus status) => status switch
    {
        ArcSealStatus.Off => "off",
        ArcSealStatus.NotForwarded => "not-forwarded",
        ArcSealStatus.Sealed => "sealed",
        ArcSealStatus.NoKey => "no-key",
        ArcSealStatus.Unsealable => "unsealable",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
