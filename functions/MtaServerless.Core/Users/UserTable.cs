using System.Collections.Frozen;

namespace MtaServerless.Core.Users;

/// <summary>An immutable snapshot of the <c>users</c> table.</summary>
public sealed class UserTable
{
    private readonly FrozenDictionary<string, UserAccount> _byName;

    public UserTable(IEnumerable<UserAccount> accounts)
    {
        ArgumentNullException.ThrowIfNull(accounts);
        _byName = accounts.ToFrozenDictionary(a => UserAccount.NormalizeName(a.Name), StringComparer.Ordinal);
    }

    public static UserTable Empty { get; } = new([]);

    public int Count => _byName.Count;

    public UserAccount? Find(string name) =>
        string.IsNullOrWhiteSpace(name) ? null : _byName.GetValueOrDefault(UserAccount.NormalizeName(name));

    /// <summary>True when <paramref name="address"/> is a local mailbox that accepts mail.</summary>
    public bool HasMailbox(string address) => Find(address) is { ReceivesMail: true };
}
