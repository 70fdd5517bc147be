using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.EdgeBenchmark;
using MtaServerless.LocalRunner;

// Driven by tests/bench/edge-benchmark.sh. Modes:
//   serve --spool azurite|discard --port N [--stats FILE] [--log-level Warning]
//       the edge on 127.0.0.1:N until SIGTERM; prints PID=, PORT= (and AZURITE_PID= for azurite);
//       FILE gets "committed=<n> heap=<bytes> committedHeap=<bytes>" four times a second.
//   spool-rate [--count 2000] [--writers 20] [--size 10240] [--warmup 200] [--connection CONN --azurite-pid PID]
//       the real BlobQueueSpool: N blob+queue write pairs, as fast as the writers go, to a fresh private Azurite
//       or to the given one (the azurite edge's, in the state the edge's load left it).
//   reset --connection CONN
//       empties the inbound queue and the spool container of that Azurite (nothing drains them in the benchmark,
//       and Azurite slows down as they fill), so each measurement starts from the same state.
//   idle --port N [--count 5000] [--hold 600] [--ready FILE]
//       opens N connections, reads each greeting, writes FILE, then holds them until killed or --hold seconds.
var options = Options.Parse(args.Skip(1));
return args.FirstOrDefault() switch
{
    "serve" => await Serve.RunAsync(options),
    "spool-rate" => await SpoolRate.RunAsync(options),
    "idle" => await Idle.RunAsync(options),
    "reset" => await Reset.RunAsync(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: MtaServerless.EdgeBenchmark serve|spool-rate|idle [--options]; see Program.cs");
    return 2;
}

namespace MtaServerless.EdgeBenchmark
{
    internal sealed class Options(Dictionary<string, string> values)
    {
        public static Options Parse(IEnumerable<string> args)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            string? key = null;
            foreach (var arg in args)
            {
                if (arg.StartsWith("--", StringComparison.Ordinal))
                {
                    key = arg[2..];
                    values[key] = "true";
                }
                else if (key is not null)
                {
                    values[key] = arg;
                    key = null;
                }
            }

            return new Options(values);
        }

        public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;

        public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }

    internal static class Serve
    {
        public static async Task<int> RunAsync(Options options)
        {
            var mode = options.Get("spool", "discard");
            var port = options.Int("port", 0);
            var statsPath = options.Get("stats", "");
            var settings = new Dictionary<string, string?>
            {
                ["Edge:HostName"] = "edge.bench",
                ["Edge:Listeners:0:Name"] = "mx",
                ["Edge:Listeners:0:Address"] = "127.0.0.1",
                ["Edge:Listeners:0:Port"] = port.ToString(CultureInfo.InvariantCulture),
                ["Edge:TrustedNetworks:0"] = "127.0.0.0/8",
                ["Edge:Limits:MaxConnections"] = "20000",
                ["Edge:Limits:MaxConnectionsPerAddress"] = "20000",
                ["Logging:LogLevel:Default"] = options.Get("log-level", "Warning"),
            };

            AzuriteProcess? azurite = null;
            var counting = new CountingSpool();
            var builder = Host.CreateApplicationBuilder();
            if (mode == "azurite")
            {
                var data = Path.Combine(Path.GetTempPath(), "edge-bench-azurite-" + Guid.NewGuid().ToString("N"));
                var (blobPort, queuePort, tablePort) = AzuriteProcess.FreePorts();
                azurite = await AzuriteProcess.StartAsync(new AzuriteSettings(RepositoryPaths.FindInfraDirectory(), data, blobPort, queuePort, tablePort), CancellationToken.None);
                var storage = MtaStorageClients.FromConnectionString(azurite.ConnectionString);
                await storage.EnsureCreatedAsync(CancellationToken.None);
                settings[StorageNames.Connection] = azurite.ConnectionString;
                counting.Inner = new BlobQueueSpool(storage, NullLogger<BlobQueueSpool>.Instance);
            }
            else if (mode == "discard")
            {
                // No storage at all: the routes and users tables answer "empty" in process, the spool discards.
                builder.Services.AddSingleton(EmptyTables.Clients());
                counting.Inner = new DiscardSpool();
            }
            else
            {
                Console.Error.WriteLine("--spool must be azurite or discard");
                return 2;
            }

            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton<IMessageSpool>(counting);
            builder.Services.AddMtaEdge(builder.Configuration);
            using var host = builder.Build();
            await host.StartAsync();
            var bound = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
            Console.WriteLine($"PID={Environment.ProcessId}");
            Console.WriteLine($"PORT={bound.Port}");
            if (azurite is not null)
            {
                Console.WriteLine($"AZURITE_PID={string.Join(',', ChildProcesses())}");
                Console.WriteLine($"AZURITE_CONNECTION={azurite.ConnectionString}");
            }

            Console.Out.Flush();
            using var stop = new CancellationTokenSource();
            var stats = string.IsNullOrEmpty(statsPath) ? Task.CompletedTask : WriteStatsAsync(statsPath, counting, stop.Token);
            await host.WaitForShutdownAsync();
            await stop.CancelAsync();
            await stats;
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
                try
                {
                    Directory.Delete(azurite.Settings.DataDirectory, recursive: true);
                }
                catch (IOException)
                {
                }
            }

            return 0;
        }

        private static async Task WriteStatsAsync(string path, CountingSpool spool, CancellationToken cancellationToken)
        {
            var temp = path + ".tmp";
            var written = -1L;
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(250, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }

                // Written only when the count moved, so that an idle edge's CPU time is its own.
                if (spool.Committed == written)
                {
                    continue;
                }

                written = spool.Committed;
                var info = GC.GetGCMemoryInfo();
                await File.WriteAllTextAsync(
                    temp,
                    string.Create(CultureInfo.InvariantCulture, $"committed={written} heap={GC.GetTotalMemory(false)} committedHeap={info.TotalCommittedBytes} gen0={GC.CollectionCount(0)} gen2={GC.CollectionCount(2)} threads={ThreadPool.ThreadCount}\n"),
                    CancellationToken.None);
                File.Move(temp, path, overwrite: true);
            }
        }

        /// <summary>Our direct children (Azurite's node process), from /proc.</summary>
        public static IEnumerable<int> ChildProcesses()
        {
            var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid))
                {
                    continue;
                }

                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                }
                catch (IOException)
                {
                    continue;
                }

                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == self)
                {
                    yield return pid;
                }
            }
        }
    }

    /// <summary>Counts committed messages for the script, over the real or the discarding spool.</summary>
    internal sealed class CountingSpool : IMessageSpool
    {
        private long _committed;

        public IMessageSpool Inner { get; set; } = null!;

        public long Committed => Interlocked.Read(ref _committed);

        public async ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken) =>
            new Counted(this, await Inner.BeginAsync(receivedAt, cancellationToken).ConfigureAwait(false));

        private sealed class Counted(CountingSpool owner, ISpoolTransaction inner) : ISpoolTransaction
        {
            public string Id => inner.Id;

            public string BlobName => inner.BlobName;

            public Stream Body => inner.Body;

            public async Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken)
            {
                var result = await inner.CommitAsync(envelope, session, traceParent, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref owner._committed);
                return result;
            }

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>The edge's own cost: the body goes nowhere and the commit returns at once.</summary>
    internal sealed class DiscardSpool : IMessageSpool
    {
        public ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken)
        {
            var id = MessageId.New();
            return ValueTask.FromResult<ISpoolTransaction>(new Transaction(id, StorageNames.SpoolBlobName(id, receivedAt)));
        }

        private sealed class Transaction(string id, string blobName) : ISpoolTransaction
        {
            public string Id => id;

            public string BlobName => blobName;

            public Stream Body => Stream.Null;

            public Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken) =>
                Task.FromResult(new InboundMessage(id, blobName, envelope, session, traceParent));

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>Storage clients whose tables are empty, answered in process; blobs and queues point nowhere and are never used.</summary>
    internal static class EmptyTables
    {
        private const string Account = "http://127.0.0.1:9/devstoreaccount1";

        public static MtaStorageClients Clients()
        {
            var transport = new Azure.Core.Pipeline.HttpClientTransport(new HttpClient(new Handler()));
            var tableOptions = new Azure.Data.Tables.TableClientOptions { Transport = transport };
            tableOptions.Retry.MaxRetries = 0;
            return new MtaStorageClients(
                new Azure.Storage.Blobs.BlobServiceClient(new Uri(Account)),
                new Azure.Storage.Queues.QueueServiceClient(new Uri(Account)),
                new Azure.Data.Tables.TableServiceClient(new Uri(Account), new Azure.Data.Tables.TableSharedKeyCredential("devstoreaccount1", Convert.ToBase64String(new byte[64])), tableOptions));
        }

        private sealed class Handler : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent("{\"value\":[]}", Encoding.UTF8, "application/json"),
                    RequestMessage = request,
                };
                return Task.FromResult(response);
            }
        }
    }

    internal static class SpoolRate
    {
        public static async Task<int> RunAsync(Options options)
        {
            var count = options.Int("count", 2000);
            var writers = options.Int("writers", 20);
            var size = options.Int("size", 10240);
            // --connection and --azurite-pid: the Azurite of a running "serve --spool azurite", in the state the edge left it;
            // otherwise a fresh private one.
            var connection = options.Get("connection", "");
            var data = Path.Combine(Path.GetTempPath(), "edge-bench-spoolrate-" + Guid.NewGuid().ToString("N"));
            AzuriteProcess? azurite = null;
            int[] azuritePids;
            if (connection.Length == 0)
            {
                var (blobPort, queuePort, tablePort) = AzuriteProcess.FreePorts();
                azurite = await AzuriteProcess.StartAsync(new AzuriteSettings(RepositoryPaths.FindInfraDirectory(), data, blobPort, queuePort, tablePort), CancellationToken.None);
                connection = azurite.ConnectionString;
                azuritePids = [.. Serve.ChildProcesses()];
            }
            else
            {
                azuritePids = [.. options.Get("azurite-pid", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
            }

            try
            {
                var storage = MtaStorageClients.FromConnectionString(connection);
                await storage.EnsureCreatedAsync(CancellationToken.None);
                var spool = new BlobQueueSpool(storage, NullLogger<BlobQueueSpool>.Instance);
                var body = new byte[size];
                Array.Fill(body, (byte)'x');

                await WriteAsync(spool, body, Math.Min(options.Int("warmup", 200), count), writers); // warm-up: connections, JIT, Azurite's caches
                var azuriteBefore = ProcCpu.Ticks(azuritePids);
                var selfBefore = ProcCpu.Ticks([Environment.ProcessId]);
                var watch = Stopwatch.StartNew();
                await WriteAsync(spool, body, count, writers);
                watch.Stop();
                var azuriteCpu = (ProcCpu.Ticks(azuritePids) - azuriteBefore) / (double)ProcCpu.TicksPerSecond;
                var selfCpu = (ProcCpu.Ticks([Environment.ProcessId]) - selfBefore) / (double)ProcCpu.TicksPerSecond;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"RATE={count / watch.Elapsed.TotalSeconds:F1} COUNT={count} WRITERS={writers} SECONDS={watch.Elapsed.TotalSeconds:F2} AZURITE_CPU_PER_1000={azuriteCpu * 1000 / count:F2} CLIENT_CPU_PER_1000={selfCpu * 1000 / count:F2}"));
            }
            finally
            {
                if (azurite is not null)
                {
                    await azurite.DisposeAsync();
                    try
                    {
                        Directory.Delete(data, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                }
            }

            return 0;
        }

        private static async Task WriteAsync(BlobQueueSpool spool, byte[] body, int count, int writers)
        {
            var next = -1;
            var envelope = new Envelope("a@example.org", [new EnvelopeRecipient("b@example.com")]);
            await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) < count)
                {
                    var now = DateTimeOffset.UtcNow;
                    await using var transaction = await spool.BeginAsync(now, CancellationToken.None);
                    await transaction.Body.WriteAsync(body);
                    await transaction.CommitAsync(envelope, new SessionInfo("127.0.0.1", "bench", "ESMTP", "mx", now, "edge.bench"), null, CancellationToken.None);
                }
            }));
        }
    }

    internal static class Reset
    {
        public static async Task<int> RunAsync(Options options)
        {
            var storage = MtaStorageClients.FromConnectionString(options.Get("connection", ""));
            await storage.Inbound.ClearMessagesAsync();
            await storage.Spool.DeleteIfExistsAsync();
            var watch = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await storage.Spool.CreateIfNotExistsAsync();
                    return 0;
                }
                catch (Azure.RequestFailedException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(200); // the container is still being deleted
                }
            }
        }
    }

    internal static class ProcCpu
    {
        public const int TicksPerSecond = 100; // USER_HZ on Linux

        public static long Ticks(IEnumerable<int> pids)
        {
            long total = 0;
            foreach (var pid in pids)
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }

            return total;
        }
    }

    internal static class Idle
    {
        public static async Task<int> RunAsync(Options options)
        {
            var port = options.Int("port", 25);
            var count = options.Int("count", 5000);
            var hold = options.Int("hold", 600);
            var ready = options.Get("ready", "");
            var sockets = new Socket[count];
            var opened = 0;
            var failed = 0;
            using var gate = new SemaphoreSlim(100);
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
                    var buffer = new byte[512];
                    var read = await socket.ReceiveAsync(buffer);
                    if (read >= 3 && buffer[0] == (byte)'2' && buffer[1] == (byte)'2' && buffer[2] == (byte)'0')
                    {
                        sockets[i] = socket;
                        Interlocked.Increment(ref opened);
                    }
                    else
                    {
                        Interlocked.Increment(ref failed);
                        socket.Dispose();
                    }
                }
                catch (SocketException)
                {
                    Interlocked.Increment(ref failed);
                }
                finally
                {
                    gate.Release();
                }
            }));

            Console.WriteLine($"OPEN={opened} FAILED={failed}");
            Console.Out.Flush();
            if (!string.IsNullOrEmpty(ready))
            {
                await File.WriteAllTextAsync(ready, $"{opened} {failed}\n");
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(hold));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Cancel();
            });
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            foreach (var socket in sockets)
            {
                socket?.Dispose();
            }

            return opened == count ? 0 : 1;
        }
    }
}
