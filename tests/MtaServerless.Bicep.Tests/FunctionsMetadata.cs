using System.Text.Json.Nodes;

namespace MtaServerless.Bicep.Tests;

/// <summary>The <c>functions.metadata</c> the worker SDK wrote for the Functions project referenced by these tests.</summary>
internal static class FunctionsMetadata
{
    /// <summary>Every connection name a trigger or binding reads; the app settings must provide each one.</summary>
    public static IReadOnlySet<string> Connections()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"No {path}: the Functions project writes it at build time.");
        var functions = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        var connections = functions
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Select(b => b!["connection"]?.GetValue<string>())
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(connections);
        return connections;
    }
}
