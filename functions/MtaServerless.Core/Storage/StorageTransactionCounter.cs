using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MtaServerless.Core.Storage;

/// <summary>
/// Counts storage requests by service and operation, as Azure bills them (one transaction per REST
/// call, retries included), so that benchmarks can report the transactions per message.
/// </summary>
public sealed class StorageTransactionCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(_counts, StringComparer.Ordinal);

    public void Reset() => _counts.Clear();

    /// <summary>The policy for one service's clients: <c>blob</c>, <c>queue</c> or <c>table</c>.</summary>
    public HttpPipelinePolicy For(string service) => new ServicePolicy(this, service);

    /// <summary>The operation's name: the service, the method, and the <c>comp</c> parameter or the kind of path.</summary>
    public static string Operation(string service, Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var uri = request.Uri.ToUri();
        var path = uri.AbsolutePath;
        var resource = System.Web.HttpUtility.ParseQueryString(uri.Query)["comp"]
            ?? (path.EndsWith("/messages", StringComparison.Ordinal) ? "messages"
            : path.Contains("/messages/", StringComparison.Ordinal) ? "message"
            : path.EndsWith("$batch", StringComparison.Ordinal) ? "batch"
            : path.Contains('(', StringComparison.Ordinal) ? "entity"
            : service == "table" ? "table"
            : "object");
        return $"{service} {request.Method} {resource}";
    }

    private sealed class ServicePolicy(StorageTransactionCounter counter, string service) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            ArgumentNullException.ThrowIfNull(message);
            counter._counts.AddOrUpdate(Operation(service, message.Request), 1, static (_, count) => count + 1);
        }
    }
}
