using Azure.Core;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.Timers;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaServerless.Edge;
using MtaServerless.Functions;
using MtaServerless.Pipeline;
using MtaServerless.Telemetry;

namespace MtaServerless.LocalRunner;

/// <summary>
/// The edge and the Functions app's classes in one host: the edge's listeners, and the WebJobs SDK
/// queue engine (the one inside the Azure Functions host) running <see cref="LocalTriggers"/>.
/// </summary>
public static class LocalRunnerHost
{
    /// <summary>The runner's cloud role name unless <c>OTEL_SERVICE_NAME</c> gives one: edge and functions in one process.</summary>
    public const string TelemetryRoleName = "mta-local";

    /// <param name="configuration">Needs <c>MtaStorage</c>, the <c>Edge</c> and <c>Pipeline</c> sections.</param>
    /// <param name="hostJsonPath">The Functions app's host.json, whose queue settings the engine takes.</param>
    /// <param name="services">Registrations that take precedence over the defaults (e.g. storage clients that count transactions).</param>
    public static IHost Build(IConfiguration configuration, string hostJsonPath, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = new HostBuilder()
            .ConfigureAppConfiguration(config => config.AddConfiguration(configuration))
            .ConfigureLogging(logging =>
            {
                // The given configuration, as for every other setting: the host's own also holds the appsettings.json that
                // the WebJobs SDK adds from the output folder, whose levels would win over the caller's.
                logging.AddConfiguration(configuration.GetSection("Logging"));
                logging.AddSimpleConsole(console => console.SingleLine = true);
            })
            .ConfigureServices(collection =>
            {
                // First, so that exporters a caller adds run after the registration's own processors.
                collection.AddMtaOpenTelemetry(configuration, TelemetryRoleName);
                services?.Invoke(collection);
                collection.AddSingleton<ITypeLocator, LocalTriggersTypeLocator>();
                collection.AddSingleton<IJobActivator, ServiceProviderJobActivator>();
                collection.AddMtaEdge(configuration);
                collection.AddMtaPipeline(configuration);
                collection.AddSingleton<IngestFunction>();
                collection.AddSingleton<DeliverFunction>();
                collection.AddSingleton<QueueMetricsFunction>();
                collection.AddSingleton<SweeperFunction>();
                var lease = configuration.GetValue($"{PipelineOptions.Section}:{nameof(PipelineOptions.LeaseDuration)}", new PipelineOptions().LeaseDuration);
                if (lease < ReceiveVisibilityPolicy.EngineDefault)
                {
                    collection.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(new ReceiveVisibilityPolicy(lease), HttpPipelinePosition.PerCall)));
                }
            })
            // After the edge, so that a listener that cannot bind fails the start before any queue is polled.
            .ConfigureWebJobs(webJobs =>
            {
                webJobs.AddAzureStorageQueues(options => HostJsonQueueOptions.Apply(hostJsonPath, configuration, options)).AddTimers();
                webJobs.Services.AddSingleton<ScheduleMonitor, InMemoryScheduleMonitor>();
            });
        return builder.Build();
    }
}
