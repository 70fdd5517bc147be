using System.Globalization;
using System.Text.Json;

namespace MtaServerless.Cli;

/// <summary>Human output is an aligned table; <c>--json</c> prints the same rows as a JSON array.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task WriteAsync<T>(TextWriter writer, bool json, IReadOnlyList<T> rows, params (string Header, Func<T, object?> Value)[] columns)
    {
        if (json)
        {
            var objects = rows.Select(row => columns.ToDictionary(c => JsonName(c.Header), c => c.Value(row))).ToList();
            await writer.WriteLineAsync(JsonSerializer.Serialize(objects, JsonOptions)).ConfigureAwait(false);
            return;
        }

        var cells = rows.Select(row => columns.Select(c => Text(c.Value(row))).ToArray()).ToList();
        var widths = columns.Select((c, i) => cells.Select(r => r[i].Length).Append(c.Header.Length).Max()).ToArray();
        await writer.WriteLineAsync(Line(columns.Select(c => c.Header).ToArray(), widths)).ConfigureAwait(false);
        foreach (var row in cells)
        {
            await writer.WriteLineAsync(Line(row, widths)).ConfigureAwait(false);
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd();

    private static string Text(object? value) => value switch
    {
        null => "-",
        DateTimeOffset time => time.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString(@"d\.hh\:mm\:ss", CultureInfo.InvariantCulture),
        bool flag => flag ? "yes" : "no",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "-",
    };

    private static string JsonName(string header) =>
        string.Concat(header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select((word, i) =>
            i == 0 ? word.ToLowerInvariant() : char.ToUpperInvariant(word[0]) + word[1..].ToLowerInvariant()));
}
