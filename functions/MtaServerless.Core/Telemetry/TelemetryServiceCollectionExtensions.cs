using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MtaServerless.Core.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Binds the <c>Telemetry</c> section and registers what the edge and the stages need to emit privacy-safe telemetry.</summary>
    public static IServiceCollection AddMtaTelemetryOptions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(RecipientAddressProtector)))
        {
            // The edge, the pipeline and the exporters each ask for it; one binding is enough.
            return services;
        }

        services.AddOptions<TelemetryOptions>()
            .Bind(configuration.GetSection(TelemetryOptions.Section))
            .Validate(o => o.IsValid, $"Telemetry:RecipientAddresses=Hashed needs Telemetry:RecipientHashKey, a secret of at least {TelemetryOptions.MinimumHashKeyLength} characters.")
            .Validate(o => o.IsTraceSamplingRatioValid, "Telemetry:TraceSamplingRatio must be a number from 0 to 1.")
            .ValidateOnStart();
        services.TryAddSingleton<RecipientAddressProtector>();
        return services;
    }
}
