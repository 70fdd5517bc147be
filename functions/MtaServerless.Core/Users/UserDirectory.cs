using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace MtaServerless.Core.Users;

/// <summary>
/// Reads the users table through a short-lived cache, like the route catalog: edits (a new mailbox, a
/// changed password) apply within the TTL without a restart, and AUTH or RCPT does not read the table each time.
/// </summary>
public sealed partial class UserDirectory(TableClient users, TimeProvider time, ILogger<UserDirectory> logger, TimeSpan? ttl = null)
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _ttl = ttl ?? DefaultTtl;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (UserTable Table, DateTimeOffset LoadedAt)? _cached;

    public async ValueTask<UserTable> GetAsync(CancellationToken cancellationToken)
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
            LogLoaded(logger, table.Count);
            return table;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private async Task<UserTable> LoadAsync(CancellationToken cancellationToken)
    {
        var found = new List<UserAccount>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {UserEntity.Partition}");
        await foreach (var row in users.QueryAsync<UserEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrWhiteSpace(row.RowKey))
            {
                LogInvalidUser(logger);
                continue;
            }

            found.Add(row.ToAccount());
        }

        return new UserTable(found);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Users table loaded: {Count} account(s)")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "A users row without a name is ignored")]
    private static partial void LogInvalidUser(ILogger logger);
}
