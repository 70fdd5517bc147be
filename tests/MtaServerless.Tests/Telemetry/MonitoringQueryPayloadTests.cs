using System.Text.RegularExpressions;
using MtaServerless.Bicep.Tests;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// Every table, column, dimension and compared value the workbook's and the alerts' queries read is in what the
/// exporter sent (<see cref="ExportedTelemetryFixture"/>), mapped as the portal maps it: a query cannot look for
/// something that is never sent.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class MonitoringQueryPayloadTests(ExportedTelemetryFixture run)
{
    /// <summary>The KQL operators and functions the queries use; any other word must be a column or a name the query binds.</summary>
    private static readonly HashSet<string> Kql = new(StringComparer.Ordinal)
    {
        "where", "extend", "summarize", "project", "order", "top", "by", "asc", "desc", "in", "and", "or", "not",
        "endswith", "startswith", "contains", "has", "todouble", "tostring", "toint", "bin", "count", "countif", "dcount",
        "percentiles", "max", "min", "sum", "avg", "arg_min", "arg_max", "ago", "now",
    };

    public static TheoryData<string, string> QueryFiles() => KqlFile.All();

    [Theory]
    [MemberData(nameof(QueryFiles))]
    public void Query_ReadsOnlyTablesColumnsDimensionsAndValuesThatAreExported(string folder, string name)
    {
        var query = KqlFile.In(folder).Single(f => f.Name == name);
        var table = run.LocalRunner.Rows.Concat(run.Deployed.Rows).Where(r => r.Table == query.Source).ToList();
        var read = table.Where(r => query.TelemetryNames.Contains(r.Name)).ToList();

        var columns = Columns(query).ToList();

        Assert.NotEmpty(table);
        Assert.All(query.TelemetryNames, n => Assert.Contains(read, r => r.Name == n));
        foreach (var column in columns)
        {
            Assert.All(read, r => Assert.True(r.Columns.ContainsKey(column), $"{name} reads {query.Source}.{column}, which {r} does not have."));
        }

        // A query over several events may read a dimension that only some of them carry (an empty value for the others).
        foreach (var dimension in query.Dimensions)
        {
            Assert.True(read.Any(r => r.Dimensions.ContainsKey(dimension)), $"{name} reads customDimensions[\"{dimension}\"], which none of its events has.");
        }

        foreach (var comparison in ColumnEquals().Matches(query.Query).Where(m => columns.Contains(m.Groups["column"].Value)))
        {
            Assert.Contains(read, r => r[comparison.Groups["column"].Value] == comparison.Groups["value"].Value);
        }

        foreach (Match comparison in DimensionEquals().Matches(query.Query))
        {
            Assert.Contains(read, r => r.Dimension(comparison.Groups["key"].Value) == comparison.Groups["value"].Value);
        }
    }

    /// <summary>The words of a query outside its string literals that are neither KQL, nor the table, nor names it binds.</summary>
    private static IEnumerable<string> Columns(KqlFile query)
    {
        var code = StringLiteral().Replace(query.Query, "\"\"");
        var bound = Binding().Matches(code).SelectMany(m => m.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.Ordinal);
        return Word().Matches(code).Select(m => m.Value).Distinct(StringComparer.Ordinal)
            .Where(w => w != query.Source && !Kql.Contains(w) && !bound.Contains(w));
    }

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b[A-Za-z_]\w*")]
    private static partial Regex Word();

    /// <summary><c>Name = ...</c> and <c>(First, Second) = ...</c>, not <c>==</c>.</summary>
    [GeneratedRegex(@"(?:\((?<names>[\w\s,]+)\)|(?<names>\b\w+))\s*=(?!=)")]
    private static partial Regex Binding();

    [GeneratedRegex(@"\b(?<column>[A-Za-z_]\w*)\s*==\s*""(?<value>[^""]*)""")]
    private static partial Regex ColumnEquals();

    [GeneratedRegex(@"customDimensions\[""(?<key>[^""]+)""\]\)?\s*==\s*""(?<value>[^""]*)""")]
    private static partial Regex DimensionEquals();
}
