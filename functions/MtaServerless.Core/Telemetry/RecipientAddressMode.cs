namespace MtaServerless.Core.Telemetry;

/// <summary>How recipient addresses appear in telemetry (<c>Telemetry:RecipientAddresses</c>).</summary>
public enum RecipientAddressMode
{
    /// <summary><c>b***@example.com</c>: the domain stays, so failing destinations can be told apart.</summary>
    Masked,

    /// <summary>A SHA-256 prefix of the lower-cased address: the same recipient correlates across events without being shown.</summary>
    Hashed,

    /// <summary>The address as given; only where the telemetry store may hold personal data.</summary>
    Clear,
}
