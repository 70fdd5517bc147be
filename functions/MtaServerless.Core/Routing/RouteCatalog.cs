using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Caching;

namespace MtaServerless.Core.Routing;

/// <summary>
/// Reads the routes table through a short-lived cache, so edits apply within the TTL without a
/// restart and a busy pipeline does not read the table for every message.
/// </summary>
public sealed partial class RouteCatalog(TableClient routes, TimeProvider time, ILogger<RouteCatalog> logger, TimeSpan? ttl = null)
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    private readonly SnapshotCache<RouteTable> _cache = new(ct => LoadAsync(routes, logger, ct), time, ttl ?? DefaultTtl);

    public ValueTask<RouteTable> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    private static async Task<RouteTable> LoadAsync(TableClient routes, ILogger logger, CancellationToken cancellationToken)
    {
        var found = new List<Route>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {RouteEntity.Partition}");
        await foreach (var row in routes.QueryAsync<RouteEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                found.Add(row.ToRoute());
            }
            catch (FormatException ex)
            {
                // One bad row must not stop mail for every other domain.
                LogInvalidRoute(logger, row.RowKey, ex);
            }
        }

        return new RouteTable(found);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Route {Pattern} is invalid and is ignored")]
    private static partial void LogInvalidRoute(ILogger logger, string pattern, Exception exception);
}
