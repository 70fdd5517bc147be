namespace MtaServerless.Core.Telemetry;

/// <summary>Telemetry settings, from the <c>Telemetry</c> section (app settings <c>Telemetry__*</c> in Azure).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The shortest <see cref="RecipientHashKey"/> taken: 128 bits of a random text.</summary>
    public const int MinimumHashKeyLength = 16;

    public RecipientAddressMode RecipientAddresses { get; set; } = RecipientAddressMode.Masked;

    /// <summary>
    /// The HMAC key that <see cref="RecipientAddressMode.Hashed"/> needs (a secret, for example from Key
    /// Vault). Without a secret anyone could hash a guessed address and look for it in the telemetry.
    /// </summary>
    public string? RecipientHashKey { get; set; }

    public bool IsValid => RecipientAddresses != RecipientAddressMode.Hashed || RecipientHashKey is { Length: >= MinimumHashKeyLength };

    /// <summary>Writes spans, metrics and events to standard output as well; off by default so that a local runner's console stays readable.</summary>
    public bool Console { get; set; }
}
