using Azure;
using Azure.Data.Tables;

namespace MtaServerless.Core.Users;

/// <summary>
/// A row of the <c>users</c> table: one partition, the account's address (lower case) as row key. One row
/// can be a submission account (it has a password hash), a local mailbox, or both.
/// </summary>
public sealed class UserEntity : ITableEntity
{
    public const string Partition = "user";

    private const char SenderSeparator = ',';

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>A <see cref="PasswordHasher"/> hash; null for a mailbox that cannot log in. Never a plaintext password.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>True when mail for this address is delivered to a local mailbox (a <c>mailbox</c> route).</summary>
    public bool Mailbox { get; set; }

    public bool Disabled { get; set; }

    /// <summary>What <see cref="UserAccount.AllowedSenders"/> lists, separated by commas (which no stored entry holds).</summary>
    public string? AllowedSenders { get; set; }

    public int? MessagesPerHour { get; set; }

    public int? RecipientsPerDay { get; set; }

    public static UserEntity FromAccount(UserAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return new UserEntity
        {
            RowKey = UserAccount.NormalizeName(account.Name),
            PasswordHash = account.PasswordHash,
            Mailbox = account.Mailbox,
            Disabled = account.Disabled,
            AllowedSenders = account.AllowedSenders.Count == 0 ? null : string.Join(SenderSeparator, account.AllowedSenders),
            MessagesPerHour = account.MessagesPerHour,
            RecipientsPerDay = account.RecipientsPerDay,
        };
    }

    public UserAccount ToAccount() => new(RowKey, PasswordHash, Mailbox, Disabled)
    {
        AllowedSenders = AllowedSenders?.Split(SenderSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
        MessagesPerHour = MessagesPerHour,
        RecipientsPerDay = RecipientsPerDay,
    };
}
