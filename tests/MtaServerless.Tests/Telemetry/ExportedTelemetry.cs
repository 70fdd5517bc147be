using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Testing;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.Telemetry;

/// <summary>What one scenario's hosts sent to the loopback ingestion endpoint, as envelopes and as rows.</summary>
/// <param name="CompressedRequests">The track requests sent gzip-compressed.</param>
/// <param name="OfflineFiles">What the exporters left in their offline storage directory: nothing, when every export was answered.</param>
internal sealed record ExportedTelemetry(IReadOnlyList<IngestedEnvelope> Envelopes, long CompressedRequests, IReadOnlyList<string> OfflineFiles)
{
    public IReadOnlyList<ApplicationInsightsRow> Rows { get; } = ApplicationInsightsRow.From(Envelopes);

    /// <summary>Every name and value of every envelope, unescaped (JSON writes a '+' of base64 as \u002B): what a scan for secrets reads.</summary>
    public string Payload => string.Join('\n', Envelopes.SelectMany(e => Texts(e.Envelope)));

    /// <param name="storageDirectory">The exporters' offline storage, when the hosts are done with it.</param>
    public static ExportedTelemetry From(LoopbackIngestion ingestion, string? storageDirectory = null) => new(
        ingestion.Envelopes,
        ingestion.CompressedRequests,
        Directory.Exists(storageDirectory) ? Directory.GetFiles(storageDirectory, "*", SearchOption.AllDirectories) : []);

    public IEnumerable<ApplicationInsightsRow> Table(string table) => Rows.Where(r => r.Table == table);

    public IEnumerable<ApplicationInsightsRow> Requests(string name) => Table("requests").Where(r => r.Name == name);

    public IEnumerable<ApplicationInsightsRow> Events(string name, string? messageId = null) =>
        Table("customEvents").Where(r => r.Name == name && (messageId is null || r.Dimension("MessageId") == messageId));

    /// <summary>Uncompressed: the newline-delimited JSON the exporter sends.</summary>
    public static long Bytes(IEnumerable<ApplicationInsightsRow> rows) => rows.Sum(r => Encoding.UTF8.GetByteCount(r.Envelope.Line) + 1L);

    /// <summary>The same lines gzip-compressed in one stream, as a compressing exporter would send them in one request.</summary>
    public static long CompressedBytes(IEnumerable<ApplicationInsightsRow> rows)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            foreach (var row in rows)
            {
                gzip.Write(Encoding.UTF8.GetBytes(row.Envelope.Line + "\n"));
            }
        }

        return compressed.Length;
    }

    private static IEnumerable<string> Texts(JsonNode? node) => node switch
    {
        JsonObject json => json.SelectMany(p => Texts(p.Value).Prepend(p.Key)),
        JsonArray array => array.SelectMany(Texts),
        JsonValue value => [value.ToString()],
        _ => [],
    };
}

internal static class TelemetryProviders
{
    /// <summary>
    /// Exports what a host's providers hold. The Azure Monitor exporter sends synchronously inside the export,
    /// so the envelopes are at the endpoint when this returns.
    /// </summary>
    /// <param name="metrics">Also collect and export the metrics (each collection is one more set of metric envelopes).</param>
    public static void Flush(IServiceProvider services, bool metrics = true)
    {
        Assert.True(services.GetRequiredService<TracerProvider>().ForceFlush());
        Assert.True(services.GetRequiredService<LoggerProvider>().ForceFlush());
        if (metrics)
        {
            Assert.True(services.GetRequiredService<MeterProvider>().ForceFlush());
        }
    }
}
