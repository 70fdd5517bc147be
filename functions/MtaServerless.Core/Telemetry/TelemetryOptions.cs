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

    /// <summary>
    /// The share of traces exported whole, 0 to 1, chosen by trace id so that the edge and the Function App keep or drop
    /// a message's spans together. A span that fails is exported whatever this says, with the spans it ran under in
    /// its process; events, metrics, warnings and errors are never sampled. 0.01 keeps a delivered message's
    /// telemetry under 1.5 KB (README, Telemetry); the local runner keeps every trace.
    /// </summary>
    public double TraceSamplingRatio { get; set; } = 0.01;

    public bool IsTraceSamplingRatioValid => TraceSamplingRatio is >= 0 and <= 1;

    /// <summary>Writes spans, metrics and events to standard output as well; off by default so that a local runner's console stays readable.</summary>
    public bool Console { get; set; }
}
