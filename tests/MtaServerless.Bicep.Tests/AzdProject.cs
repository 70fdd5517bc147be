using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MtaServerless.Bicep.Tests;

/// <summary>The repository's <c>azure.yaml</c> and <c>bicep/main.parameters.json</c>, as azd reads them.</summary>
internal static class AzdProject
{
    public static string AzureYamlPath => Path.Combine(RepositoryPaths.Root, "azure.yaml");

    /// <summary><c>azure.yaml</c> as the JSON its schema describes.</summary>
    public static JsonObject AzureYaml() => Yaml(File.ReadAllText(AzureYamlPath));

    /// <summary>
    /// YAML as JSON with YAML 1.2's core schema, as azd's YAML reader types it: plain <c>true</c>/<c>false</c> are
    /// booleans, plain integers numbers, <c>null</c> and <c>~</c> null, and every quoted scalar a string.
    /// </summary>
    public static JsonObject Yaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return Assert.IsType<JsonObject>(ToJson(Assert.Single(stream.Documents).RootNode));
    }

    /// <summary>bicep/main.parameters.json: each parameter's value as written, <c>${VAR}</c> references unresolved.</summary>
    public static JsonObject Parameters() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "main.parameters.json")))!["parameters"]!.AsObject();

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } scalar => JsonValue.Create(scalar.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}."),
    };
}
