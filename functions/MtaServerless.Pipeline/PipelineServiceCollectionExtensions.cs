using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Deliver.Smtp;
using MtaServerless.Pipeline.Dns;
using MtaServerless.Pipeline.Ingest;
using MtaServerless.Pipeline.Retry;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>Registers the stages and what they need; the Functions app and the local runner both call it.</summary>
    public static IServiceCollection AddMtaPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMtaStorage(configuration);
        services.AddOptions<PipelineOptions>()
            .Bind(configuration.GetSection(PipelineOptions.Section));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PipelineOptions>>().Value;
            return BackoffSchedule.Parse(options.Backoff, options.BackoffJitter);
        });
        services.AddSingleton(sp => new RouteCatalog(
            sp.GetRequiredService<MtaStorageClients>().Routes,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RouteCatalog>>(),
            sp.GetRequiredService<IOptions<PipelineOptions>>().Value.RouteCacheTtl));
        services.AddSingleton(new SmtpCredentials(configuration));
        services.AddSingleton<MxResolver>();
        services.AddSingleton<HopConnectionPool>();
        services.AddSingleton<SmtpRelay>();
        services.AddSingleton<MailboxDelivery>();
        services.AddSingleton<DeliveryLeases>();
        services.AddSingleton<BounceSender>();
        services.AddSingleton<IngestStage>();
        services.AddSingleton<DeliverStage>();
        services.AddMtaTelemetryOptions(configuration);
        services.AddSingleton<DeliveryEvents>();
        services.AddSingleton<QueueMetrics>();
        return services;
    }
}
