using MtaServerless.Core.Mail;

namespace MtaServerless.Core.Users;

/// <summary>An account of the <c>users</c> table, as the edge and the CLI see it.</summary>
/// <param name="Name">The login and, for a mailbox, the address: <c>local@domain</c>, compared case-insensitively.</param>
public sealed record UserAccount(string Name, string? PasswordHash, bool Mailbox, bool Disabled = false)
{
    public bool CanLogIn => !Disabled && PasswordHash is not null;

    public bool ReceivesMail => !Disabled && Mailbox;

    /// <summary>Lower case, with the domain as an A-label when the name is an address.</summary>
    public static string NormalizeName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var trimmed = name.Trim();
        return MailboxAddress.TryParse(trimmed, out var address)
            ? $"{address.LocalPart.ToLowerInvariant()}@{address.Domain}"
            : trimmed.ToLowerInvariant();
    }
}
