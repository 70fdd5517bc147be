using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace MtaServerless.Telemetry;

public static class MtaOpenTelemetryExtensions
{
    public const string ServiceNameSetting = "OTEL_SERVICE_NAME";

    /// <summary>
    /// The one OpenTelemetry registration of the edge, the Functions worker and the local runner: the
    /// MTA's sources, meters and events, exported by <see cref="TelemetryExporters"/>.
    /// </summary>
    /// <param name="serviceName">The cloud role name unless <c>OTEL_SERVICE_NAME</c> gives one.</param>
    /// <param name="hostDefaults">A host's own integration, applied before the exporters (the Functions worker's).</param>
    public static IOpenTelemetryBuilder AddMtaOpenTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName, Action<IOpenTelemetryBuilder>? hostDefaults = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMtaTelemetryOptions(configuration);
        var exporters = TelemetryExporters.From(configuration);
        services.AddSingleton(exporters);

        // Events are the workbook's data, not diagnostics: the Logging level of the host must not drop them.
        services.AddLogging(logging => logging.AddFilter<OpenTelemetryLoggerProvider>(MtaTelemetry.EventCategory, LogLevel.Information));
        var builder = services.AddOpenTelemetry()
            // A span an exception leaves (a failed Ingest or Deliver run, a crashed session) ends as failed, so the
            // stages and the triggers need no try/catch for their telemetry.
            .WithTracing(tracing => tracing.AddSource(MtaTelemetry.EdgeSourceName, MtaTelemetry.PipelineSourceName).SetErrorStatusOnException()
                // Whatever sampler an exporter's registration chose (Azure Monitor's: OTEL_TRACES_SAMPLER, 5 traces a second
                // by default): Telemetry:TraceSamplingRatio decides, and failures are exported whatever it says.
                .ConfigureSampler((sp, _) => new RecordEverySpanSampler(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value.TraceSamplingRatio))
                .AddProcessor(new FailedSpanProcessor()))
            .WithMetrics(metrics => metrics.AddMeter(MtaTelemetry.EdgeMeterName, MtaTelemetry.PipelineMeterName))
            .WithLogging(logging => logging
                .AddProcessor(sp => new AddressRedactionProcessor(sp.GetRequiredService<IOptions<TelemetryOptions>>(), sp.GetRequiredService<RecipientAddressProtector>()))
                .AddProcessor(new CustomEventProcessor()));
        hostDefaults?.Invoke(builder);

        // After the host's defaults, whose resource may name the role too (the Functions worker's: WEBSITE_SITE_NAME from
        // the environment, else the entry assembly), so that the configured name wins. No generated instance id:
        // OTEL_RESOURCE_ATTRIBUTES' service.instance.id (the container group) is the role instance.
        builder.ConfigureResource(resource => resource.AddService(configuration[ServiceNameSetting] is { Length: > 0 } name ? name : serviceName, autoGenerateServiceInstanceId: false));

        if (exporters.AzureMonitor is { } connectionString)
        {
            builder.WithTracing(tracing => tracing.AddProcessor(new ApplicationInsightsMappingProcessor()))
                .WithLogging(logging => logging.AddProcessor(new ApplicationInsightsLogProcessor()));

            // The exporter's own configuration first, the AzureMonitorExporter section (StorageDirectory; EnableTraceBasedLogsSampler,
            // true unless set: Information logs follow their trace), then what the MTA insists on.
            builder.UseAzureMonitorExporter();
            services.Configure<AzureMonitorExporterOptions>(options =>
            {
                options.ConnectionString = connectionString;
                if (exporters.ManagedIdentityClientId is { } clientId)
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }

                // The exporter would write this ratio as every span's sample rate, from which Application Insights counts
                // each exported span as 1/ratio spans. The sampler is ours (failures always kept, successes by ratio), so
                // no single rate is true: each exported span counts once, and counts come from the standard metrics.
                options.SamplingRatio = 1f;
            });
        }

        if (exporters.Otlp is not null)
        {
            builder.UseOtlpExporter();
        }

        if (exporters.Console)
        {
            builder.WithTracing(tracing => tracing.AddConsoleExporter())
                .WithMetrics(metrics => metrics.AddConsoleExporter())
                .WithLogging(logging => logging.AddConsoleExporter());
        }

        return builder;
    }
}
