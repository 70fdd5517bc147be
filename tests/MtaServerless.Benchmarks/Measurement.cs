using System.Diagnostics;
using System.Globalization;
using MtaServerless.Testing;

namespace MtaServerless.Benchmarks;

/// <summary>One measured load against one MTA host: what the driver saw and what the host measured of itself.</summary>
internal sealed record ScenarioResult(
    string Scenario,
    int Run,
    int Messages,
    int Missing,
    int Duplicates,
    double AcceptedPerSecond,
    double DeliveredPerSecond,
    double P50,
    double P99,
    double DriverCpuSeconds,
    double AzuriteCpuSeconds,
    HostReport AtStart,
    HostReport AtEnd,
    int ConsoleLines,
    double Load1,
    int SinkSessions,
    int SinkTransactions)
{
    public double MtaCpuMs => AtEnd.CpuSeconds * 1000 / Messages;

    public double DriverCpuMs => DriverCpuSeconds * 1000 / Messages;

    public double AzuriteCpuMs => AzuriteCpuSeconds * 1000 / Messages;

    public double OursPerMessage => (double)AtEnd.Ours.Values.Sum() / Messages;

    /// <summary>Relay transactions per connection the MTA opened to the sink: the connection pool's reuse.</summary>
    public double TransactionsPerConnection => SinkSessions == 0 ? double.NaN : (double)SinkTransactions / SinkSessions;

    public double EnginePerMessage => (double)AtEnd.Engine.Values.Sum() / Messages;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"""
        [{Scenario}, run {Run}] {Messages} messages: accepted {AcceptedPerSecond:F1} msg/s, delivered {DeliveredPerSecond:F1} msg/s; 250 -> delivered p50 {P50:F0} ms, p99 {P99:F0} ms; missing {Missing}, duplicates {Duplicates}
          CPU ms per message: MTA {MtaCpuMs:F2}, driver (clients + sink) {DriverCpuMs:F2}, Azurite {AzuriteCpuMs:F2}; MTA working set {Mib(AtStart.WorkingSet)} MiB at start, peak {Mib(AtEnd.PeakWorkingSet)} MiB; host console lines {ConsoleLines}; load1 before {Load1:F2}
          connections to the sink {SinkSessions} for {SinkTransactions} relay transactions ({TransactionsPerConnection:F1} per connection)
          storage per message: ours {OursPerMessage:F2} ({Breakdown(AtEnd.Ours, Messages)}); queue engine {EnginePerMessage:F2} ({Breakdown(AtEnd.Engine, Messages)})
        """);

    private static string Breakdown(IReadOnlyDictionary<string, long> counts, int messages) =>
        string.Join("; ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {(double)c.Value / messages:F2}")));

    public static long Mib(long bytes) => bytes / (1024 * 1024);
}

/// <summary>Runs a load against a host between a reset and a report of its counters, and waits for every delivery.</summary>
internal sealed class Measurement(MtaHostProcess host, Arrivals arrivals, SmtpSink sink, int azuritePid)
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// After the sink's last 250 the MTA still writes the results and deletes the queue messages: they belong to
    /// the messages measured. A second idle costs a queue poll or two, nothing per message.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public async Task<ScenarioResult> RunAsync(string scenario, int run, Func<int, Task<IReadOnlyList<Sent>>> load)
    {
        await AzuriteIdleAsync();
        // The machine's load before the measurement: anything else running shows here.
        var load1 = double.Parse((await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0], CultureInfo.InvariantCulture);
        var atStart = await host.ResetAsync();
        var consoleLines = host.ConsoleLines;
        var driverCpu = CpuSeconds(Environment.ProcessId);
        var azuriteCpu = CpuSeconds(azuritePid);
        var sinkSessions = sink.Sessions;
        var sinkTransactions = sink.DataAttempts;
        var started = DateTimeOffset.UtcNow;
        var sent = await load(host.Port);
        var delivered = await arrivals.WaitAsync(sent, DeliveryTimeout);
        await Task.Delay(Settle);
        var atEnd = await host.ReportAsync();
        var latencies = sent
            .Where(m => delivered.ContainsKey(m.Id))
            .Select(m => (delivered[m.Id] - m.AcceptedAt).TotalMilliseconds)
            .Order()
            .ToArray();
        var result = new ScenarioResult(
            scenario,
            run,
            sent.Count,
            sent.Count - delivered.Count,
            arrivals.Duplicates(sent),
            sent.Count / (sent.Max(m => m.AcceptedAt) - started).TotalSeconds,
            delivered.Count / ((delivered.Count > 0 ? delivered.Values.Max() : started) - started).TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            CpuSeconds(Environment.ProcessId) - driverCpu,
            CpuSeconds(azuritePid) - azuriteCpu,
            atStart,
            atEnd,
            host.ConsoleLines - consoleLines,
            load1,
            sink.Sessions - sinkSessions,
            sink.DataAttempts - sinkTransactions);
        Console.WriteLine(result);
        return result;
    }

    /// <summary>
    /// Azurite keeps persisting its store for seconds after a burst: a measurement waits for it, so that it does not
    /// share the CPU with the previous one's leftovers (as tests/bench/edge-benchmark.sh does).
    /// </summary>
    private async Task AzuriteIdleAsync()
    {
        for (var i = 0; i < 60; i++)
        {
            var before = CpuSeconds(azuritePid);
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            if (CpuSeconds(azuritePid) - before <= 0.02)
            {
                return;
            }
        }
    }

    private static double CpuSeconds(int pid)
    {
        using var process = Process.GetProcessById(pid);
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
}
