using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.LocalRunner;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Telemetry;

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: false)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var infra = configuration["LocalStack:InfraDirectory"] ?? RepositoryPaths.FindInfraDirectory();
var azuriteSettings = new AzuriteSettings(
    infra,
    configuration["LocalStack:DataDirectory"] ?? Path.Combine(infra, "..", ".local", "azurite"),
    configuration.GetValue("LocalStack:BlobPort", AzuriteConnection.DefaultBlobPort),
    configuration.GetValue("LocalStack:QueuePort", AzuriteConnection.DefaultQueuePort),
    configuration.GetValue("LocalStack:TablePort", AzuriteConnection.DefaultTablePort));

// Ctrl+C during start-up (npm ci, Azurite) stops the start; once the host runs, its console lifetime takes over.
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};

Console.WriteLine($"Starting Azurite from {infra} (data in {Path.GetFullPath(azuriteSettings.DataDirectory)})...");
await using var azurite = await AzuriteProcess.StartAsync(azuriteSettings, stopping.Token);
var tls = DevelopmentTls.EnsureConfigured(configuration, Path.Combine(azuriteSettings.DataDirectory, "..", "tls"));
var stack = new ConfigurationBuilder()
    .AddConfiguration(configuration)
    .AddInMemoryCollection(tls)
    .AddInMemoryCollection(new Dictionary<string, string?> { [StorageNames.Connection] = azurite.ConnectionString })
    // DKIM private keys, where mta dkim add puts them when it talks to the runner's Azurite, unless a store is configured.
    .AddInMemoryCollection(configuration.GetSection(DkimOptions.Section).Exists()
        ? []
        : new Dictionary<string, string?> { [$"{DkimOptions.Section}:{nameof(DkimOptions.KeyDirectory)}"] = Path.GetFullPath(Path.Combine(azuriteSettings.DataDirectory, "..", "dkim")) })
    .Build();

var storage = MtaStorageClients.FromConnectionString(azurite.ConnectionString);
await storage.EnsureCreatedAsync(stopping.Token);
var seeded = await RouteSeeder.SeedIfEmptyAsync(storage.Routes, Path.Combine(AppContext.BaseDirectory, "routes.sample.json"), stopping.Token);

using var host = LocalRunnerHost.Build(stack, Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName));
try
{
    await host.StartAsync(stopping.Token);
}
catch
{
    // Stop what did start (queue listeners) before Azurite goes away under it.
    await host.StopAsync(CancellationToken.None);
    throw;
}

Console.WriteLine($"Azurite:  blob http://127.0.0.1:{azuriteSettings.BlobPort}, queue http://127.0.0.1:{azuriteSettings.QueuePort}, table http://127.0.0.1:{azuriteSettings.TablePort}");
Console.WriteLine($"DKIM:     private keys in {stack[$"{DkimOptions.Section}:{nameof(DkimOptions.KeyDirectory)}"] ?? stack[$"{DkimOptions.Section}:{nameof(DkimOptions.KeyVaultUri)}"]}");
Console.WriteLine($"Routes:   {(seeded > 0 ? $"{seeded} seeded from routes.sample.json" : "kept from the routes table")}");
var listeners = stack.GetSection("Edge:Listeners").GetChildren().ToList();
var bound = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;
for (var i = 0; i < bound.Count; i++)
{
    Console.WriteLine($"SMTP:     {listeners[i]["Role"] ?? "Mx",-11} {bound[i]}");
}

if (tls.Count > 0)
{
    Console.WriteLine($"TLS:      self-signed development certificate {tls["Edge:Tls:CertificatePath"]}");
}

Console.WriteLine("Functions: Ingest (queue inbound), Deliver (queue delivery), QueueMetrics (timer) on the WebJobs SDK. Ctrl+C stops everything.");
var exporters = host.Services.GetRequiredService<TelemetryExporters>();
Console.WriteLine($"Telemetry: {(exporters.AzureMonitor is not null ? "Azure Monitor " : string.Empty)}{(exporters.Otlp is not null ? "OTLP " : string.Empty)}{(exporters.Console ? "console" : string.Empty)}".TrimEnd() + (exporters is { AzureMonitor: null, Otlp: null, Console: false } ? " not exported (set OTEL_EXPORTER_OTLP_ENDPOINT, APPLICATIONINSIGHTS_CONNECTION_STRING or Telemetry:Console=true)" : string.Empty));

// The host's console lifetime ends it on Ctrl+C and SIGTERM alike; Azurite is stopped when this scope ends.
await host.WaitForShutdownAsync(stopping.Token);
Console.WriteLine("Stopped.");
