using System.Text.Json.Nodes;

namespace MtaServerless.Bicep.Tests;

/// <summary><c>bicep/monitoring/telemetry.json</c>: the event and metric names and dimensions the queries assume and the code must emit.</summary>
internal sealed class TelemetryContract
{
    private TelemetryContract(JsonObject root)
    {
        EdgeRoleName = root["roles"]!["edge"]!["cloudRoleName"]!.GetValue<string>();
        Events = Read(root["events"]!);
        Metrics = Read(root["metrics"]!);
    }

    public string EdgeRoleName { get; }

    /// <summary>Event name to its dimensions.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Events { get; }

    /// <summary>Metric name to its dimensions.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Metrics { get; }

    public IEnumerable<string> Names => Events.Keys.Concat(Metrics.Keys);

    public static TelemetryContract Load() =>
        new(JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Monitoring, "telemetry.json")))!.AsObject());

    public IReadOnlySet<string> DimensionsOf(string name) =>
        Events.TryGetValue(name, out var dimensions) ? dimensions : Metrics[name];

    private static Dictionary<string, IReadOnlySet<string>> Read(JsonNode list) =>
        list.AsArray().ToDictionary(
            e => e!["name"]!.GetValue<string>(),
            e => (IReadOnlySet<string>)e!["dimensions"]!.AsObject().Select(d => d.Key).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
}
