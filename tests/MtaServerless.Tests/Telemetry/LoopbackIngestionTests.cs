using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Telemetry;

/// <summary>The loopback ingestion endpoint takes a track request as the service does, compressed or not.</summary>
public sealed class LoopbackIngestionTests
{
    private const string Lines = """
        {"name":"Event","data":{"baseType":"EventData","baseData":{"name":"first"}}}
        {"name":"Event","data":{"baseType":"EventData","baseData":{"name":"second"}}}

        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Track_NewlineDelimitedEnvelopes_AreKeptAndCountedInTheReply(bool gzip)
    {
        await using var ingestion = LoopbackIngestion.Start();
        using var http = new HttpClient();
        using var content = new ByteArrayContent(gzip ? Compress(Lines) : Encoding.UTF8.GetBytes(Lines));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        using var response = await http.PostAsync(new Uri(ingestion.Endpoint, LoopbackIngestion.TrackPath), content);
        var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        response.EnsureSuccessStatusCode();
        Assert.Equal((2, 2), (reply["itemsReceived"]!.GetValue<int>(), reply["itemsAccepted"]!.GetValue<int>()));
        Assert.Equal(["first", "second"], ingestion.Envelopes.Select(e => e.Envelope["data"]!["baseData"]!["name"]!.GetValue<string>()));
        Assert.Equal((1L, gzip ? 1L : 0L), (ingestion.TrackRequests, ingestion.CompressedRequests));
    }

    private static byte[] Compress(string text)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return compressed.ToArray();
    }
}
