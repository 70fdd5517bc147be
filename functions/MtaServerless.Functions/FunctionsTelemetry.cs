using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Telemetry;
using OpenTelemetry;

namespace MtaServerless.Functions;

public static class FunctionsTelemetry
{
    /// <summary>The Function App's name, which Azure sets: the worker's cloud role name unless <c>OTEL_SERVICE_NAME</c> gives one.</summary>
    public const string SiteNameSetting = "WEBSITE_SITE_NAME";

    private const string DefaultRoleName = "mta-functions";

    /// <summary>
    /// The worker's telemetry: the shared registration with the worker's own integration, which keeps the
    /// Functions host from sending the worker's logs a second time.
    /// </summary>
    public static IOpenTelemetryBuilder AddMtaFunctionsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddMtaOpenTelemetry(configuration, configuration[SiteNameSetting] ?? DefaultRoleName, otel => otel.UseFunctionsWorkerDefaults());
    }
}
