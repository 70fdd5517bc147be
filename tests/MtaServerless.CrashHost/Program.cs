using Azure.Core;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MtaServerless.CrashHost;
using MtaServerless.LocalRunner;

// Configuration from environment variables (MtaStorage, Edge__*, Pipeline__*, CrashHost__*), so that a
// test can start, kill and restart it with the same settings. Azurite is not ours: it outlives this process.
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
var hostJson = configuration["CrashHost:HostJson"] ?? Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName);
var receiveVisibility = configuration.GetValue("CrashHost:ReceiveVisibility", TimeSpan.FromMinutes(10));

using var host = LocalRunnerHost.Build(
    configuration,
    hostJson,
    services => services.AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(new ReceiveVisibilityPolicy(receiveVisibility), HttpPipelinePosition.PerCall))));
await host.StartAsync();
Console.WriteLine(CrashHostProtocol.Ready);
await host.WaitForShutdownAsync();
