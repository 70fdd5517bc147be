using Microsoft.Extensions.Configuration;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Telemetry;

/// <summary>Where telemetry goes, decided from configuration alone: each exporter whose setting is present, and none by default.</summary>
/// <param name="AzureMonitor">Set when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is.</param>
/// <param name="Otlp">Set when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is.</param>
/// <param name="Console">Set by <c>Telemetry:Console</c>.</param>
/// <param name="ManagedIdentityClientId">With Azure Monitor: <c>AZURE_CLIENT_ID</c>, the user-assigned identity the exporter authenticates as (Entra ID); without it the connection string's key alone.</param>
public sealed record TelemetryExporters(string? AzureMonitor, string? Otlp, bool Console, string? ManagedIdentityClientId)
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    public static TelemetryExporters From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new TelemetryExporters(
            NonEmpty(configuration[ConnectionStringSetting]),
            NonEmpty(configuration[OtlpEndpointSetting]),
            configuration.GetValue<bool>($"{TelemetryOptions.Section}:{nameof(TelemetryOptions.Console)}"),
            NonEmpty(configuration[ClientIdSetting]));
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
