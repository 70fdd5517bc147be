using MtaServerless.Core.Mail;

namespace MtaServerless.Core.Users;

/// <summary>An account of the <c>users</c> table, as the edge and the CLI see it.</summary>
/// <param name="Name">The login and, for a mailbox, the address: <c>local@domain</c>, compared case-insensitively.</param>
public sealed record UserAccount(string Name, string? PasswordHash, bool Mailbox, bool Disabled = false)
{
    /// <summary>Senders this login may use besides its own address: addresses and <c>*@domain</c>, in <see cref="SenderPermissions"/>' stored form.</summary>
    public IReadOnlyList<string> AllowedSenders { get; init; } = [];

    /// <summary>Messages this login may submit per rolling hour; null for the edge's default, 0 for no limit.</summary>
    public int? MessagesPerHour { get; init; }

    /// <summary>Recipients this login may submit to per rolling day; null for the edge's default, 0 for no limit.</summary>
    public int? RecipientsPerDay { get; init; }

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
