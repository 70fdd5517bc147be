using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Caching;

namespace MtaServerless.Core.Users;

/// <summary>
/// Reads the users table through a short-lived cache, like the route catalog: edits (a new mailbox, a
/// changed password) apply within the TTL without a restart, and AUTH or RCPT does not read the table each time.
/// </summary>
public sealed partial class UserDirectory(TableClient users, TimeProvider time, ILogger<UserDirectory> logger, TimeSpan? ttl = null)
{
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(30);

    private readonly SnapshotCache<UserTable> _cache = new(ct => LoadAsync(users, logger, ct), time, ttl ?? DefaultTtl);

    public ValueTask<UserTable> GetAsync(CancellationToken cancellationToken) => _cache.GetAsync(cancellationToken);

    private static async Task<UserTable> LoadAsync(TableClient users, ILogger logger, CancellationToken cancellationToken)
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

            var account = row.ToAccount();
            if (account.AllowedSenders.Any(e => !SenderPermissions.TryNormalizeEntry(e, out _)))
            {
                LogInvalidSender(logger, account.Name);
            }

            found.Add(account);
        }

        LogLoaded(logger, found.Count);
        return new UserTable(found);
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Users table loaded: {Count} account(s)")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "A users row without a name is ignored")]
    private static partial void LogInvalidUser(ILogger logger);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Users row {User}: an AllowedSenders entry that is neither an address nor *@domain is ignored")]
    private static partial void LogInvalidSender(ILogger logger, string user);
}
