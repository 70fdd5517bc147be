using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>A query file of <c>bicep/monitoring</c>, with what it names: telemetry names, dimensions and string literals.</summary>
internal sealed partial class KqlFile
{
    private KqlFile(string path)
    {
        Path = path;
        Text = File.ReadAllText(path);
        Query = string.Join('\n', Text.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        Literals = StringLiteral().Matches(Query).Select(m => m.Groups["value"].Value).ToArray();
        TelemetryNames = Literals.Where(l => l.StartsWith("mta.", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToArray();
        Dimensions = DimensionKey().Matches(Query).Select(m => m.Groups["key"].Value).Distinct(StringComparer.Ordinal).ToArray();
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public string Text { get; }

    /// <summary>The query without its comment lines.</summary>
    public string Query { get; }

    public IReadOnlyList<string> Literals { get; }

    /// <summary>Event and metric names (<c>mta.*</c> literals) the query filters on.</summary>
    public IReadOnlyList<string> TelemetryNames { get; }

    /// <summary>Keys read from <c>customDimensions</c>.</summary>
    public IReadOnlyList<string> Dimensions { get; }

    /// <summary>The table the query starts from.</summary>
    public string Source => Query.TrimStart().Split('\n', 2)[0].Trim();

    public static IReadOnlyList<KqlFile> In(string folder) =>
        Directory.GetFiles(System.IO.Path.Combine(RepositoryPaths.Monitoring, folder), "*.kql").Order(StringComparer.Ordinal).Select(f => new KqlFile(f)).ToArray();

    /// <summary>Every query of the workbook (<c>queries</c>) and of the alerts (<c>alerts</c>), as theory data: folder and file name.</summary>
    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in new[] { "queries", "alerts" })
        {
            foreach (var file in In(folder))
            {
                data.Add(folder, file.Name);
            }
        }

        return data;
    }

    /// <summary>Brackets and quotes pair up outside string literals: the cheap part of parsing that catches a broken edit.</summary>
    public bool IsBalanced()
    {
        var stack = new Stack<char>();
        var withoutLiterals = StringLiteral().Replace(Query, "\"\"");
        if (withoutLiterals.Count(c => c == '"') % 2 != 0)
        {
            return false;
        }

        foreach (var c in withoutLiterals)
        {
            switch (c)
            {
                case '(' or '[' or '{':
                    stack.Push(c);
                    break;
                case ')' when stack.Count == 0 || stack.Pop() != '(':
                case ']' when stack.Count == 0 || stack.Pop() != '[':
                case '}' when stack.Count == 0 || stack.Pop() != '{':
                    return false;
            }
        }

        return stack.Count == 0;
    }

    [GeneratedRegex("\"(?<value>[^\"]*)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("customDimensions\\[\"(?<key>[^\"]+)\"\\]")]
    private static partial Regex DimensionKey();
}
