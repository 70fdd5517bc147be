using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using MtaServerless.CrashHost;
using MtaServerless.LocalRunner;

// Configuration from environment variables (MtaStorage, Edge__*, Pipeline__*, CrashHost__*), so that a
// test can start, kill and restart it with the same settings. Azurite is not ours: it outlives this process.
// A Pipeline__LeaseDuration under 10 minutes shortens the queue engine's receive visibility to it, as the
// local runner does, so that a task held by a killed host comes back within a lease.
var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
var hostJson = configuration["CrashHost:HostJson"] ?? Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName);

using var host = LocalRunnerHost.Build(configuration, hostJson);
await host.StartAsync();
Console.WriteLine(CrashHostProtocol.Ready);
await host.WaitForShutdownAsync();
