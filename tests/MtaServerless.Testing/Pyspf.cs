using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace MtaServerless.Testing;

/// <summary>One SPF query: the client, its HELO name and the MAIL FROM address (empty for the null sender).</summary>
public sealed record SpfQuery(string Client, string Helo, string MailFrom);

/// <summary>
/// pyspf (Debian's python3-spf) as the independent SPF implementation: <c>tests/spf/pyspf.sh</c> installs it from apt
/// when it is missing, and checks queries in its strict RFC 7208 mode with names looked up on a
/// <see cref="LoopbackDnsServer"/> only.
/// </summary>
public static class Pyspf
{
    private static readonly ToolScript Script = new("pyspf", "spf/pyspf.sh");

    /// <returns>pyspf's verdict for each query, in order: pass, fail, softfail, neutral, none, permerror or temperror.</returns>
    public static async Task<IReadOnlyList<string>> CheckAsync(IReadOnlyList<SpfQuery> queries, IPEndPoint nameServer)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(nameServer);
        await Script.EnsureInstalledAsync();
        var input = string.Concat(queries.Select(q => $"{q.Client} {q.Helo} {q.MailFrom}\n"));
        var (exitCode, output, error) = await Script.RunAsync($"check {nameServer}", Encoding.ASCII.GetBytes(input));
        var verdicts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2)[0])
            .ToList();
        return exitCode == 0 && verdicts.Count == queries.Count
            ? verdicts
            : throw new InvalidOperationException($"pyspf gave {verdicts.Count} verdicts for {queries.Count} queries ({exitCode}): {output}{error}");
    }

    /// <summary>
    /// The openspf RFC 7208 test suite that python3-spf ships: scenarios, each a <c>zonedata</c> map of names to records
    /// and <c>tests</c> of queries (<c>host</c>, <c>helo</c>, <c>mailfrom</c>) with the <c>result</c> or results RFC 7208 allows.
    /// </summary>
    public static async Task<JsonArray> Rfc7208SuiteAsync()
    {
        await Script.EnsureInstalledAsync();
        var (exitCode, output, error) = await Script.RunAsync("suite", []);
        return exitCode == 0 && JsonNode.Parse(output) is JsonArray suite
            ? suite
            : throw new InvalidOperationException($"pyspf.sh suite failed ({exitCode}): {error}");
    }
}
