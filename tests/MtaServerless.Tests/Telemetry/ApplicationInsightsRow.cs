using System.Globalization;
using System.Text.Json.Nodes;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// An envelope as Application Insights stores it: the table its data type lands in, with the columns the
/// portal and the KQL queries read (<c>operation_Id</c> from the tag <c>ai.operation.id</c>,
/// <c>cloud_RoleName</c> from <c>ai.cloud.role</c>, <c>customDimensions</c> from the properties).
/// </summary>
internal sealed class ApplicationInsightsRow
{
    private static readonly Dictionary<string, string> Tables = new(StringComparer.Ordinal)
    {
        ["RequestData"] = "requests",
        ["RemoteDependencyData"] = "dependencies",
        ["EventData"] = "customEvents",
        ["MetricData"] = "customMetrics",
        ["MessageData"] = "traces",
        ["ExceptionData"] = "exceptions",
    };

    private static readonly Dictionary<string, string> TagColumns = new(StringComparer.Ordinal)
    {
        ["ai.operation.id"] = "operation_Id",
        ["ai.operation.parentId"] = "operation_ParentId",
        ["ai.operation.name"] = "operation_Name",
        ["ai.cloud.role"] = "cloud_RoleName",
        ["ai.cloud.roleInstance"] = "cloud_RoleInstance",
        ["ai.internal.sdkVersion"] = "sdkVersion",
    };

    // The fields each table takes from its data, by the column they become.
    private static readonly Dictionary<string, string> DataColumns = new(StringComparer.Ordinal)
    {
        ["id"] = "id",
        ["name"] = "name",
        ["success"] = "success",
        ["responseCode"] = "resultCode",
        ["resultCode"] = "resultCode",
        ["duration"] = "duration",
        ["type"] = "type",
        ["target"] = "target",
        ["data"] = "data",
        ["message"] = "message",
        ["severityLevel"] = "severityLevel",
    };

    private ApplicationInsightsRow(IngestedEnvelope envelope)
    {
        Envelope = envelope;
        var data = envelope.Envelope["data"]!;
        Table = Tables[data["baseType"]!.GetValue<string>()];
        var columns = new Dictionary<string, string?>(StringComparer.Ordinal) { ["timestamp"] = envelope.Envelope["time"]!.GetValue<string>() };
        foreach (var (tag, value) in envelope.Envelope["tags"]?.AsObject() ?? [])
        {
            if (TagColumns.TryGetValue(tag, out var column))
            {
                columns[column] = Text(value);
            }
        }

        var baseData = data["baseData"]!.AsObject();
        foreach (var (field, value) in baseData)
        {
            if (DataColumns.TryGetValue(field, out var column))
            {
                columns[column] = Text(value);
            }
        }

        if (baseData["metrics"]?.AsArray() is [{ } metric, ..])
        {
            columns["name"] = Text(metric["name"]);
            columns["value"] = Text(metric["value"]);
            columns["valueCount"] = Text(metric["count"]) ?? "1";
        }

        if (baseData["exceptions"]?.AsArray() is [{ } exception, ..])
        {
            columns["type"] = Text(exception["typeName"]);
            columns["outerMessage"] = Text(exception["message"]);
        }

        Dimensions = (baseData["properties"]?.AsObject() ?? []).ToDictionary(p => p.Key, p => Text(p.Value) ?? string.Empty, StringComparer.Ordinal);
        if (Dimensions.Count > 0)
        {
            columns["customDimensions"] = baseData["properties"]!.ToJsonString();
        }

        Columns = columns;
    }

    public IngestedEnvelope Envelope { get; }

    public string Table { get; }

    public IReadOnlyDictionary<string, string?> Columns { get; }

    public IReadOnlyDictionary<string, string> Dimensions { get; }

    public string? Name => this["name"];

    public string? OperationId => this["operation_Id"];

    public string? this[string column] => Columns.GetValueOrDefault(column);

    public static IReadOnlyList<ApplicationInsightsRow> From(IEnumerable<IngestedEnvelope> envelopes) => [.. envelopes.Select(e => new ApplicationInsightsRow(e))];

    public string? Dimension(string key) => Dimensions.GetValueOrDefault(key);

    public override string ToString() => $"{Table} {Name} {Envelope.Line}";

    private static string? Text(JsonNode? value) => value switch
    {
        null => null,
        JsonValue scalar when scalar.TryGetValue<string>(out var text) => text,
        JsonValue scalar when scalar.TryGetValue<bool>(out var flag) => flag ? "True" : "False",
        JsonValue scalar => Convert.ToString(scalar.GetValue<double>(), CultureInfo.InvariantCulture),
        _ => value.ToJsonString(),
    };
}
