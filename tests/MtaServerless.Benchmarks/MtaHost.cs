using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.LocalRunner;

namespace MtaServerless.Benchmarks;

/// <summary>
/// The MTA under measurement, alone in its process (edge and functions on the WebJobs queue engine, as the local
/// runner hosts them), so that its CPU time and working set are its own and not the load generator's, the
/// sink's or Azurite's. Configured from environment variables; measures itself on the driver's commands.
/// </summary>
internal static class MtaHost
{
    public static async Task<int> RunAsync()
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var ours = new StorageTransactionCounter();
        // The queue engine's own requests (receive, delete, empty polls) are the Functions host's in Azure, billed all the same.
        var engine = new StorageTransactionCounter();
        using var host = LocalRunnerHost.Build(
            configuration,
            Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName),
            services => services
                .AddSingleton(MtaStorageClients.FromConfiguration(configuration, counter: ours))
                .AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(engine.For("queue"), HttpPipelinePosition.PerRetry))));
        await host.StartAsync();
        var edge = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
        Console.WriteLine(HostProtocol.Ready + edge.Port.ToString(CultureInfo.InvariantCulture));

        var cpuAtReset = TimeSpan.Zero;
        // The driver closes our standard input when it is done, or when it dies: either way the host stops.
        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command == HostProtocol.ResetCommand)
            {
                ours.Reset();
                engine.Reset();
                // Linux (proc(5), clear_refs): 5 sets the peak resident set size to the current one, so the peak is this measurement's.
                await File.WriteAllTextAsync("/proc/self/clear_refs", "5");
                using var self = Process.GetCurrentProcess();
                cpuAtReset = self.TotalProcessorTime;
            }
            else if (command != HostProtocol.ReportCommand)
            {
                await Console.Error.WriteLineAsync($"bench-host: unknown command '{command}'");
                continue;
            }

            using var process = Process.GetCurrentProcess();
            var report = new HostReport(
                (process.TotalProcessorTime - cpuAtReset).TotalSeconds,
                process.WorkingSet64,
                process.PeakWorkingSet64,
                new Dictionary<string, long>(ours.Snapshot(), StringComparer.Ordinal),
                new Dictionary<string, long>(engine.Snapshot(), StringComparer.Ordinal));
            Console.WriteLine(HostProtocol.Report + JsonSerializer.Serialize(report));
        }

        await host.StopAsync();
        return 0;
    }
}
