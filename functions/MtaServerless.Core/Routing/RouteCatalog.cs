using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace MtaServerless.Core.Routing;

/// <summary>
/// Reads the routes table through a short-lived cache, so edits apply within the TTL without a
/// restart and a busy pipeline does not read the table for every message.
/// </summary>
public sealed partial class RouteCatalog(TableClient routes, TimeProvider time, ILogger<RouteCatalog> logger, TimeSpan? ttl = null)
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _ttl = ttl ?? DefaultTtl;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (RouteTable Table, DateTimeOffset LoadedAt)? _cached;

    public async ValueTask<RouteTable> GetAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && time.GetUtcNow() - fresh.LoadedAt < _ttl)
        {
            return fresh.Table;
        }

        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } loaded && time.GetUtcNow() - loaded.LoadedAt < _ttl)
            {
                return loaded.Table;
            }

            var table = await LoadAsync(cancellationToken).ConfigureAwait(false);
            _cached = (table, time.GetUtcNow());
            return table;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<RouteTable> LoadAsync(CancellationToken cancellationToken)
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
