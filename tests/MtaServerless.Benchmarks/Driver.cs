using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;
using MtaServerless.Testing;

namespace MtaServerless.Benchmarks;

/// <summary>What the driver runs; each can be given on the command line (<c>--Runs 1</c>).</summary>
internal sealed class DriverSettings
{
    /// <summary>.NET's tiered JIT needs a few thousand messages to reach its optimized code (tests/bench/README.md).</summary>
    public int Warmup { get; set; } = 2000;

    public int Runs { get; set; } = 3;

    public int Clients { get; set; } = 20;

    public int Messages { get; set; } = 1000;

    public int MultiMessages { get; set; } = 400;

    public int MultiRecipients { get; set; } = 10;

    public int IdleMessages { get; set; } = 20;

    public int Relays { get; set; } = 100;

    public int MemoryWarmup { get; set; } = 500;
}

/// <summary>
/// The load generator's process: Azurite, the sink and the MailKit clients are here, the MTA is an <see cref="MtaHost"/>
/// child process, so that the MTA's CPU time and memory are measured apart from everything that serves or loads it.
/// </summary>
internal static class Driver
{
    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new DriverSettings();
        new ConfigurationBuilder().AddCommandLine(args).Build().Bind(settings);
        Console.WriteLine($"Pipeline benchmark: warm-up {settings.Warmup}; {settings.Runs} run(s) of {settings.Messages} messages x 1 recipient and {settings.MultiMessages} x {settings.MultiRecipients} over {Load.Domains.Length} domains at {settings.Clients} clients, {settings.IdleMessages} one at a time; {settings.Relays} concurrent relays in a fresh host after {settings.MemoryWarmup}. 10 KiB messages.");

        var data = Path.Combine(Path.GetTempPath(), "mta-bench-" + Guid.NewGuid().ToString("N"));
        var (blobPort, queuePort, tablePort) = AzuriteProcess.FreePorts();
        await using var azurite = await AzuriteProcess.StartAsync(new AzuriteSettings(RepositoryPaths.FindInfraDirectory(), data, blobPort, queuePort, tablePort), CancellationToken.None);
        var storage = MtaStorageClients.FromConnectionString(azurite.ConnectionString);
        await storage.EnsureCreatedAsync(CancellationToken.None);
        using var sender = new SenderDomain();
        var gate = new RelayGate();
        await using var sink = SmtpSink.Start((_, cancellationToken) => gate.ReplyAsync(cancellationToken));
        // A route per domain, so that a message to all of them is one relay transaction per domain; all to the sink.
        foreach (var pattern in Load.Domains.Prepend("*"))
        {
            await storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route(pattern, RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)), TableUpdateMode.Replace);
        }

        var arrivals = new Arrivals(sink);
        var azuritePid = azurite.ProcessId ?? throw new InvalidOperationException("Azurite is not running.");
        var single = Load.Recipients(1);
        var multi = Load.Recipients(settings.MultiRecipients);
        var results = new List<ScenarioResult>();
        var labels = Labels.For(settings);
        var relaysInFlight = 0;

        await using (var host = await MtaHostProcess.StartAsync(HostEnvironment(azurite.ConnectionString, sender.NameServers, concurrentRuns: null)))
        {
            var measure = new Measurement(host, arrivals, sink, azuritePid);
            results.Add(await measure.RunAsync("warm-up, 1 recipient", 0, port => Load.ConcurrentAsync(port, settings.Warmup, settings.Clients, single, sender)));
            results.Add(await measure.RunAsync("warm-up, multi", 0, port => Load.ConcurrentAsync(port, Math.Max(settings.Warmup / 10, settings.Clients), settings.Clients, multi, sender)));
            for (var run = 1; run <= settings.Runs; run++)
            {
                results.Add(await measure.RunAsync(labels.Single, run, port => Load.ConcurrentAsync(port, settings.Messages, settings.Clients, single, sender)));
                results.Add(await measure.RunAsync(labels.Multi, run, port => Load.ConcurrentAsync(port, settings.MultiMessages, settings.Clients, multi, sender)));
                results.Add(await measure.RunAsync(labels.Idle, run, port => Load.SpacedAsync(port, settings.IdleMessages, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), single, sender)));
            }
        }

        // A fresh host whose queue engine takes that many messages at once (host.json's batch of 16 runs at most 24 per
        // instance; in Azure more instances would share them), and a sink that holds every reply to DATA until that
        // many relays wait for it: the working set of that many relays in flight, beside the host's baseline.
        await using (var host = await MtaHostProcess.StartAsync(HostEnvironment(azurite.ConnectionString, sender.NameServers, concurrentRuns: settings.Relays)))
        {
            var measure = new Measurement(host, arrivals, sink, azuritePid);
            results.Add(await measure.RunAsync("memory warm-up", 0, port => Load.ConcurrentAsync(port, settings.MemoryWarmup, settings.Clients, single, sender)));
            gate.Hold(settings.Relays);
            results.Add(await measure.RunAsync(labels.Relays, 1, port => Load.ConcurrentAsync(port, settings.Relays, settings.Relays, single, sender)));
            relaysInFlight = gate.MostWaiting;
        }

        var everySent = results.Sum(r => r.Messages);
        var missing = results.Sum(r => r.Missing);
        // Over everything the sink received, at the end: a second delivery may come after its scenario was counted.
        var duplicates = arrivals.Duplicates();
        Summary.Print(results.Where(r => r.Run > 0).ToList(), labels, relaysInFlight, settings.Relays);
        Console.WriteLine($"{everySent} messages in all (warm-ups included): missing {missing}, duplicates {duplicates}");
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
        }

        return missing == 0 && duplicates == 0 ? 0 : 1;
    }

    private static Dictionary<string, string> HostEnvironment(string connectionString, string nameServers, int? concurrentRuns)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [StorageNames.Connection] = connectionString,
            ["Edge__HostName"] = "edge.bench",
            ["Edge__Listeners__0__Name"] = "mx",
            ["Edge__Listeners__0__Address"] = "127.0.0.1",
            ["Edge__Listeners__0__Port"] = "0",
            // The memory scenario's clients all connect from 127.0.0.1 at once.
            ["Edge__Limits__MaxConnectionsPerAddress"] = "1000",
            ["Pipeline__HostName"] = "relay.bench",
            // The sender's records, for the checks of mail received on the MX listener: never the system's resolvers.
            ["Pipeline__NameServers"] = nameServers,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        if (concurrentRuns is { } runs)
        {
            // The engine receives another batch (up to 32, whatever the queue holds) while at most newBatchThreshold
            // messages run: with the threshold one short of the total, every message is taken while the others are held.
            environment["AzureFunctionsJobHost__extensions__queues__batchSize"] = "32";
            environment["AzureFunctionsJobHost__extensions__queues__newBatchThreshold"] = (runs - 1).ToString(CultureInfo.InvariantCulture);
        }

        return environment;
    }
}
