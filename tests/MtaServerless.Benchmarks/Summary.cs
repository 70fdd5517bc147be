using System.Globalization;

namespace MtaServerless.Benchmarks;

/// <summary>The measured scenarios' names: the summary finds the runs for its RESULT lines by them.</summary>
internal sealed record Labels(string Single, string Multi, string Idle, string Relays)
{
    public static Labels For(DriverSettings settings) => new(
        $"1 recipient, {settings.Clients} clients",
        $"{settings.MultiRecipients} recipients over 3 domains, {settings.Clients} clients",
        "idle: one at a time, 2-4 s apart",
        $"{settings.Relays} concurrent relays, fresh host");
}

/// <summary>Medians over the runs of each scenario, as a Markdown table, and the lines the script reads.</summary>
internal static class Summary
{
    public static void Print(IReadOnlyList<ScenarioResult> results, Labels labels, int relaysInFlight, int relays)
    {
        var scenarios = results.GroupBy(r => r.Scenario).ToList();
        Console.WriteLine();
        Console.WriteLine("| scenario | runs | msgs/run | accepted msg/s | delivered msg/s | 250 -> delivered p50 / p99 | MTA CPU ms/msg | driver ms/msg | Azurite ms/msg | storage/msg ours + engine = total | MTA working set start / peak | relay transactions per connection | host console lines | load1 before |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|---:|---:|---:|");
        foreach (var runs in scenarios)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {runs.Key} | {runs.Count()} | {runs.First().Messages} | {Median(runs, r => r.AcceptedPerSecond):F1} | {Median(runs, r => r.DeliveredPerSecond):F1} | {Median(runs, r => r.P50):F0} / {Median(runs, r => r.P99):F0} ms | {Median(runs, r => r.MtaCpuMs):F2} | {Median(runs, r => r.DriverCpuMs):F2} | {Median(runs, r => r.AzuriteCpuMs):F2} | {Median(runs, r => r.OursPerMessage):F2} + {Median(runs, r => r.EnginePerMessage):F2} = {Median(runs, r => r.OursPerMessage + r.EnginePerMessage):F2} | {Median(runs, r => ScenarioResult.Mib(r.AtStart.WorkingSet)):F0} / {Median(runs, r => ScenarioResult.Mib(r.AtEnd.PeakWorkingSet)):F0} MiB | {Median(runs, r => r.TransactionsPerConnection):F1} | {runs.Sum(r => r.ConsoleLines)} | {Median(runs, r => r.Load1):F2} |"));
        }

        Console.WriteLine();
        foreach (var runs in scenarios)
        {
            Console.WriteLine($"{runs.Key}: ours {Breakdown(runs, r => r.AtEnd.Ours)}; queue engine {Breakdown(runs, r => r.AtEnd.Engine)}");
        }

        Console.WriteLine($"{labels.Relays}: relays waiting at the sink at once {relaysInFlight} of {relays}");
        Console.WriteLine();
        // For tests/bench/pipeline-benchmark.sh, which sets Postfix's figures beside these.
        var single = scenarios.Single(s => s.Key == labels.Single);
        var multi = scenarios.Single(s => s.Key == labels.Multi);
        var relayRun = scenarios.Single(s => s.Key == labels.Relays).Single();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT mta_cpu_ms_single {Median(single, r => r.MtaCpuMs):F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT mta_cpu_ms_multi {Median(multi, r => r.MtaCpuMs):F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT relays_peak_mib {ScenarioResult.Mib(relayRun.AtEnd.PeakWorkingSet)} baseline_mib {ScenarioResult.Mib(relayRun.AtStart.WorkingSet)} in_flight {relaysInFlight}"));
    }

    private static double Median(IEnumerable<ScenarioResult> runs, Func<ScenarioResult, double> value)
    {
        var sorted = runs.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Breakdown(IGrouping<string, ScenarioResult> runs, Func<ScenarioResult, IReadOnlyDictionary<string, long>> counts) =>
        string.Join("; ", runs
            .SelectMany(r => counts(r).Keys)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(operation => string.Create(CultureInfo.InvariantCulture, $"{operation} {Median(runs, r => (double)counts(r).GetValueOrDefault(operation) / r.Messages):F2}")));
}
