namespace MtaServerless.Core.Telemetry;

/// <summary>Telemetry settings, from the <c>Telemetry</c> section (app settings <c>Telemetry__*</c> in Azure).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    public RecipientAddressMode RecipientAddresses { get; set; } = RecipientAddressMode.Masked;

    /// <summary>Writes spans, metrics and events to standard output as well; off by default so that a local runner's console stays readable.</summary>
    public bool Console { get; set; }
}
