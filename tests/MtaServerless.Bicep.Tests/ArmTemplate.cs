using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>Reading compiled ARM templates: modules are nested deployments with their template inline.</summary>
internal static partial class ArmTemplate
{
    /// <summary>Resources of a template, whether listed (languageVersion 1) or keyed by symbolic name (2.0).</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template) => template["resources"] switch
    {
        JsonArray list => list.Select(r => r!.AsObject()),
        JsonObject named => named.Select(r => r.Value!.AsObject()),
        _ => [],
    };

    /// <summary>Resources of a type in the template and in every module below it.</summary>
    public static IEnumerable<JsonObject> ResourcesOfType(JsonObject template, string type)
    {
        foreach (var resource in Resources(template))
        {
            if (string.Equals(resource["type"]!.GetValue<string>(), type, StringComparison.OrdinalIgnoreCase))
            {
                yield return resource;
            }

            if (resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in ResourcesOfType(nested, type))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>A module of main.bicep by its symbolic name: the deployment resource.</summary>
    public static JsonObject Module(JsonObject main, string symbolicName)
    {
        var module = main["resources"]![symbolicName];
        Assert.True(module is JsonObject, $"main.bicep has no module '{symbolicName}'.");
        return module!.AsObject();
    }

    public static JsonObject ModuleTemplate(JsonObject main, string symbolicName) =>
        Module(main, symbolicName)["properties"]!["template"]!.AsObject();

    /// <summary>The value main.bicep passes to a module parameter: a literal or an expression string.</summary>
    public static JsonNode? ModuleParameter(JsonObject main, string symbolicName, string parameter) =>
        Module(main, symbolicName)["properties"]!["parameters"]![parameter]?["value"];

    /// <summary>The last quoted literal of an expression such as <c>[format('{0}/{1}/{2}', parameters('name'), 'default', 'spool')]</c>; null when the name is not a literal.</summary>
    public static string? LastLiteral(string expression)
    {
        var match = TrailingLiteral().Match(expression);
        return match.Success ? match.Groups["literal"].Value : null;
    }

    /// <summary>Every string in a JSON tree: literals, expressions and object keys' values alike.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    /// <summary><c>name</c>/<c>value</c> pairs, as app settings and container environment variables are written.</summary>
    public static Dictionary<string, string> NameValues(JsonNode list) =>
        list.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["value"]!.ToString(), StringComparer.Ordinal);

    /// <summary>
    /// The value of a string as ARM will see it, for expressions of the template's own parameters' defaults, variables
    /// and functions (<see cref="ArmExpression"/>). An expression that depends on a deployment fails the test.
    /// </summary>
    public static string Evaluate(JsonObject template, string value) =>
        Assert.IsType<string>(new ArmExpression(template).Evaluate(value));

    [GeneratedRegex(@"'(?<literal>[^']*)'\)\]$")]
    private static partial Regex TrailingLiteral();
}
