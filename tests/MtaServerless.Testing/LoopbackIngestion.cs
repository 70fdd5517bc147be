using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using MtaServerless.LocalRunner;

namespace MtaServerless.Testing;

/// <summary>One telemetry item as an exporter sent it: its line of JSON and the parsed envelope.</summary>
public sealed record IngestedEnvelope(string Line, JsonObject Envelope);

/// <summary>
/// Application Insights' ingestion endpoint on loopback: it takes the Azure Monitor exporter's track requests
/// (newline-delimited JSON envelopes, gzip-compressed when the request says so), keeps every envelope and
/// answers as the service does, so that the exporter never retries or stores anything offline. Any other
/// request (Live Metrics' pings, which the connection string sends here too) gets an empty 200.
/// </summary>
public sealed class LoopbackIngestion : IAsyncDisposable
{
    public const string TrackPath = "/v2.1/track";

    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<IngestedEnvelope> _envelopes = new();
    private readonly Task _serving;
    private long _trackRequests;
    private long _compressedRequests;

    private LoopbackIngestion(int port)
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _serving = ServeAsync();
    }

    public Uri Endpoint { get; }

    /// <summary>
    /// A connection string whose ingestion and Live Metrics endpoints are this listener. It names an
    /// instrumentation key and no Entra ID: without <c>AZURE_CLIENT_ID</c> the exporter sends no token.
    /// </summary>
    public string ConnectionString => $"InstrumentationKey=00000000-0000-0000-0000-0000000000a1;IngestionEndpoint={Endpoint};LiveEndpoint={Endpoint}";

    public IReadOnlyList<IngestedEnvelope> Envelopes => [.. _envelopes];

    public long TrackRequests => Interlocked.Read(ref _trackRequests);

    /// <summary>Track requests whose body came gzip-compressed (<c>Content-Encoding: gzip</c>).</summary>
    public long CompressedRequests => Interlocked.Read(ref _compressedRequests);

    public static LoopbackIngestion Start() => new(AzuriteProcess.FreePorts().Blob);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _serving.ConfigureAwait(false);
        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var response = context.Response;
            if (context.Request.HttpMethod == "POST" && context.Request.Url?.AbsolutePath == TrackPath)
            {
                var items = await TrackAsync(context.Request).ConfigureAwait(false);
                response.ContentType = "application/json";
                var body = Encoding.UTF8.GetBytes($$"""{"itemsReceived":{{items}},"itemsAccepted":{{items}},"errors":[]}""");
                await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
            }
        }
    }

    /// <returns>How many envelopes the request held.</returns>
    private async Task<int> TrackAsync(HttpListenerRequest request)
    {
        using var received = new MemoryStream();
        await request.InputStream.CopyToAsync(received).ConfigureAwait(false);
        Interlocked.Increment(ref _trackRequests);
        received.Position = 0;
        Stream body = received;
        if (string.Equals(request.Headers["Content-Encoding"], "gzip", StringComparison.OrdinalIgnoreCase))
        {
            Interlocked.Increment(ref _compressedRequests);
            body = new GZipStream(received, CompressionMode.Decompress);
        }
        using var reader = new StreamReader(body, Encoding.UTF8);
        var items = 0;
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                _envelopes.Enqueue(new IngestedEnvelope(line, JsonNode.Parse(line)!.AsObject()));
                items++;
            }
        }

        return items;
    }
}
