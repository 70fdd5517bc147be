using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Data.Tables;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.LocalRunner;
using MtaServerless.Testing;

// Usage: dotnet run -c Release --project tests/MtaServerless.Benchmarks -- [messages] [clients] [recipients]
var messages = Argument(0, 200);
var clients = Argument(1, 10);
var recipients = Argument(2, 1);
Console.WriteLine($"Load: {messages} messages of 10 KiB, {clients} concurrent SMTP clients, {recipients} recipient(s) each.");

var data = Path.Combine(Path.GetTempPath(), "mta-bench-" + Guid.NewGuid().ToString("N"));
var (blobPort, queuePort, tablePort) = AzuriteProcess.FreePorts();
await using var azurite = await AzuriteProcess.StartAsync(new AzuriteSettings(RepositoryPaths.FindInfraDirectory(), data, blobPort, queuePort, tablePort), CancellationToken.None);
var counter = new StorageTransactionCounter();
var storage = MtaStorageClients.FromConnectionString(azurite.ConnectionString, counter);
await storage.EnsureCreatedAsync(CancellationToken.None);
await using var sink = SmtpSink.Start();
await storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("*", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)), TableUpdateMode.Replace);

var configuration = new ConfigurationBuilder()
    .AddInMemoryCollection(new Dictionary<string, string?>
    {
        [StorageNames.Connection] = azurite.ConnectionString,
        ["Edge:HostName"] = "edge.bench",
        ["Edge:Listeners:0:Name"] = "mx",
        ["Edge:Listeners:0:Address"] = "127.0.0.1",
        ["Edge:Listeners:0:Port"] = "0",
        ["Pipeline:HostName"] = "relay.bench",
        ["Pipeline:Backoff"] = "00:00:05",
        ["Logging:LogLevel:Default"] = "Warning",
    })
    .Build();
// The queue engine's own requests (receive, delete, empty polls) are the Functions host's in Azure, billed all the same.
var engine = new StorageTransactionCounter();
using var runner = LocalRunnerHost.Build(
    configuration,
    Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName),
    services => services
        .AddSingleton(storage)
        .AddAzureClients(clients => clients.ConfigureDefaults(options => options.AddPolicy(engine.For("queue"), HttpPipelinePosition.PerRetry))));
await runner.StartAsync();
var edge = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
counter.Reset();
engine.Reset();

var accepted = new System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
var body = new string('x', 76) + "\r\n";
var text = string.Concat(Enumerable.Repeat(body, 10 * 1024 / body.Length));
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, clients), async (client, cancellationToken) =>
{
    using var smtp = new SmtpClient { LocalDomain = "bench.client" };
    await smtp.ConnectAsync(edge.Address.ToString(), edge.Port, SecureSocketOptions.None, cancellationToken);
    for (var i = client; i < messages; i += clients)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.org"));
        for (var r = 0; r < recipients; r++)
        {
            message.To.Add(MailboxAddress.Parse($"rcpt{r}@example.com"));
        }

        message.Subject = $"bench {i}";
        message.Body = new TextPart("plain") { Text = text };
        var reply = await smtp.SendAsync(message, cancellationToken);
        accepted[reply[(reply.LastIndexOf(' ') + 1)..]] = DateTimeOffset.UtcNow;
    }

    await smtp.DisconnectAsync(true, cancellationToken);
});
var acceptSeconds = clock.Elapsed.TotalSeconds;
await sink.WaitForAcceptedAsync(messages, TimeSpan.FromMinutes(10));
var totalSeconds = clock.Elapsed.TotalSeconds;
var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;

var idPattern = new Regex(@"\bid ([0-9a-f]{32})\b", RegexOptions.CultureInvariant);
var arrivals = sink.Accepted
    .Select(mail => (Id: idPattern.Match(System.Text.Encoding.ASCII.GetString(mail.Data, 0, Math.Min(mail.Data.Length, 400))).Groups[1].Value, mail.ArrivedAt))
    .ToList();
var duplicates = arrivals.Count - arrivals.Select(a => a.Id).Distinct(StringComparer.Ordinal).Count();
var missing = accepted.Keys.Except(arrivals.Select(a => a.Id), StringComparer.Ordinal).Count();
var latencies = arrivals
    .Where(a => accepted.ContainsKey(a.Id))
    .Select(a => (a.ArrivedAt - accepted[a.Id]).TotalMilliseconds)
    .Order()
    .ToArray();

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Accepted: {messages / acceptSeconds:F1} msgs/s ({acceptSeconds:F1} s); all delivered after {totalSeconds:F1} s; missing {missing}, duplicates {duplicates}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Latency 250 -> arrival: p50 {Percentile(latencies, 0.50):F0} ms, p99 {Percentile(latencies, 0.99):F0} ms"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Process CPU: {cpuSeconds / messages * 1000:F2} s per 1,000 messages (edge + functions + clients + sink, Azurite excluded); peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Storage transactions per message: {(double)counter.Total / messages:F2}"));
foreach (var (operation, count) in counter.Snapshot())
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {operation,-28} {(double)count / messages:F2}"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Queue engine transactions per message: {(double)engine.Total / messages:F2}"));
foreach (var (operation, count) in engine.Snapshot())
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  engine {operation,-21} {(double)count / messages:F2}"));
}

await runner.StopAsync();
return missing == 0 && duplicates == 0 ? 0 : 1;

int Argument(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
