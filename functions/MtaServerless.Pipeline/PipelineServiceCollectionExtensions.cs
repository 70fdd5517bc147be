using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Signatures;
using MtaServerless.Pipeline.Authentication.Dmarc;
using MtaServerless.Pipeline.Authentication.Spf;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Deliver.Smtp;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Pipeline.Dns;
using MtaServerless.Pipeline.Ingest;
using MtaServerless.Pipeline.Retry;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Pipeline;

public static class PipelineServiceCollectionExtensions
{
    /// <summary>Registers the stages and what they need; the Functions app and the local runner both call it.</summary>
    public static IServiceCollection AddMtaPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMtaStorage(configuration);
        // Refused at start, naming the settings, rather than a run that outlives its lease and sends twice.
        services.AddOptions<PipelineOptions>()
            .Bind(configuration.GetSection(PipelineOptions.Section))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PipelineOptions>, PipelineOptionsValidator>());
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
        services.AddOptions<DkimOptions>().Bind(configuration.GetSection(DkimOptions.Section));
        services.AddSingleton(sp => new DkimKeyring(
            sp.GetRequiredService<MtaStorageClients>().DkimKeys,
            DkimKeyStores.From(sp.GetRequiredService<IOptions<DkimOptions>>().Value),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DkimKeyring>>(),
            sp.GetRequiredService<IOptions<PipelineOptions>>().Value.RouteCacheTtl));
        services.AddSingleton<DkimMessageSigner>();
        services.AddSingleton<MxResolver>();
        services.AddSingleton<AuthenticationDns>();
        services.AddSingleton<ISpfVerifier, SpfVerifier>();
        services.AddSingleton<PublicKeyCache>();
        services.AddSingleton<ISignatureVerifier, SignatureVerifier>();
        services.AddSingleton<IDmarcEvaluator, DmarcEvaluator>();
        services.AddOptions<AuthenticationOptions>()
            .Bind(configuration.GetSection(AuthenticationOptions.Section))
            .Validate(o => o.ArcSealDomain.Length == 0 || DomainName.TryNormalize(o.ArcSealDomain, out _), "Authentication:ArcSealDomain is not a domain name.")
            .ValidateOnStart();
        services.AddSingleton<ArcSealer>();
        services.AddSingleton<InboundAuthenticator>();
        services.AddSingleton<HopConnectionPool>();
        services.AddSingleton<SmtpRelay>();
        services.AddSingleton<MailboxDelivery>();
        services.AddSingleton<DeliveryLeases>();
        services.AddSingleton<BounceSender>();
        services.AddSingleton<IngestStage>();
        services.AddSingleton<DeliverStage>();
        services.AddSingleton<DueIndex>();
        services.AddSingleton<Sweeper>();
        services.AddMtaTelemetryOptions(configuration);
        services.AddSingleton<DeliveryEvents>();
        services.AddSingleton<SweepEvents>();
        services.AddSingleton<AuthenticationEvents>();
        services.AddSingleton<QueueMetrics>();
        return services;
    }
}
