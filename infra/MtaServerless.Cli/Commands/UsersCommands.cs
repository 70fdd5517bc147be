using System.CommandLine;
using Azure;
using Azure.Data.Tables;
using MtaServerless.Core.Users;

namespace MtaServerless.Cli.Commands;

/// <summary>
/// <c>mta users list | add | set | passwd | remove</c>: submission accounts and local mailboxes, whom a login may
/// send as and how much. Passwords are read from standard input (never from the command line, which other users
/// and shell history can see) and stored only as the edge's slow salted hash.
/// </summary>
internal static class UsersCommands
{
    public static Command Create(TextReader input, TextWriter output)
    {
        var users = new Command("users", "Manage submission accounts and local mailboxes.");
        users.Subcommands.Add(List(output));
        users.Subcommands.Add(Add(input, output));
        users.Subcommands.Add(Set(output));
        users.Subcommands.Add(Passwd(input, output));
        users.Subcommands.Add(Remove(output));
        return users;
    }

    private static Argument<string> NameArgument() => new("address") { Description = "The login and mailbox address, e.g. alice@example.com." };

    private static Option<bool> PasswordStdin() => new("--password-stdin") { Description = "Read the password from the first line of standard input." };

    private static Option<string[]> AllowSender() => new("--allow-sender") { Description = "An address (or *@domain) the login may send as besides its own; repeat for more." };

    private static Option<string> MessagesPerHour() => new("--messages-per-hour") { Description = "Messages the login may submit per hour through each edge: a number (0: no limit) or 'default' (Edge:Limits:MessagesPerHour)." };

    private static Option<string> RecipientsPerDay() => new("--recipients-per-day") { Description = "Recipients the login may submit to per day through each edge: a number (0: no limit) or 'default' (Edge:Limits:RecipientsPerDay)." };

    private static Command List(TextWriter output)
    {
        var list = new Command("list", "Show every account (never its password hash).");
        list.SetAction(async (result, cancellationToken) =>
        {
            var rows = new List<UserEntity>();
            await foreach (var row in CliOptions.Storage(result).Users.QueryAsync<UserEntity>(u => u.PartitionKey == UserEntity.Partition, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }

            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                rows,
                ("Address", u => u.RowKey),
                ("Login", u => u.PasswordHash is not null),
                ("Mailbox", u => u.Mailbox),
                ("Disabled", u => u.Disabled),
                ("Allowed Senders", u => u.AllowedSenders),
                ("Messages Per Hour", u => u.MessagesPerHour),
                ("Recipients Per Day", u => u.RecipientsPerDay)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Add(TextReader input, TextWriter output)
    {
        var name = NameArgument();
        var password = PasswordStdin();
        var mailbox = new Option<bool>("--mailbox") { Description = "Deliver mail for this address to a local mailbox (its domain needs a mailbox route)." };
        var senders = AllowSender();
        var messages = MessagesPerHour();
        var recipients = RecipientsPerDay();
        var add = new Command("add", "Add an account: a login (--password-stdin), a mailbox (--mailbox), or both.") { name, password, mailbox, senders, messages, recipients };
        add.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedName(result.GetValue(name)!);
            if (!result.GetValue(password) && !result.GetValue(mailbox))
            {
                throw CliException.BadInput("An account needs a login (--password-stdin), a mailbox (--mailbox), or both.");
            }

            var account = new UserAccount(key, null, result.GetValue(mailbox))
            {
                AllowedSenders = Senders([], result.GetValue(senders), []),
                MessagesPerHour = Limit(result.GetValue(messages), "--messages-per-hour", null),
                RecipientsPerDay = Limit(result.GetValue(recipients), "--recipients-per-day", null),
            };
            var hash = result.GetValue(password) ? PasswordHasher.Hash(await ReadPasswordAsync(input).ConfigureAwait(false)) : null;
            try
            {
                await CliOptions.Storage(result).Users.AddEntityAsync(UserEntity.FromAccount(account with { PasswordHash = hash }), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                throw CliException.BadInput($"'{key}' exists already; use 'users passwd' to change its password.");
            }

            await output.WriteLineAsync($"Added '{key}'.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command Set(TextWriter output)
    {
        var name = NameArgument();
        var allow = AllowSender();
        var disallow = new Option<string[]>("--disallow-sender") { Description = "An address (or *@domain) to take off the login's list; repeat for more." };
        var messages = MessagesPerHour();
        var recipients = RecipientsPerDay();
        var set = new Command("set", "Change whom a login may send as, and its sending limits.") { name, allow, disallow, messages, recipients };
        set.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedName(result.GetValue(name)!);
            string[] added = result.GetValue(allow) ?? [];
            string[] removed = result.GetValue(disallow) ?? [];
            if (added.Length == 0 && removed.Length == 0 && result.GetValue(messages) is null && result.GetValue(recipients) is null)
            {
                throw CliException.BadInput("Say what to change: --allow-sender, --disallow-sender, --messages-per-hour or --recipients-per-day.");
            }

            var users = CliOptions.Storage(result).Users;
            var row = await ExistingAsync(users, key, cancellationToken).ConfigureAwait(false);
            var account = row.ToAccount();
            var changed = UserEntity.FromAccount(account with
            {
                AllowedSenders = Senders(account.AllowedSenders, added, removed),
                MessagesPerHour = Limit(result.GetValue(messages), "--messages-per-hour", account.MessagesPerHour),
                RecipientsPerDay = Limit(result.GetValue(recipients), "--recipients-per-day", account.RecipientsPerDay),
            });
            changed.ETag = row.ETag;
            await users.UpdateEntityAsync(changed, changed.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Updated '{key}'.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return set;
    }

    private static Command Passwd(TextReader input, TextWriter output)
    {
        var name = NameArgument();
        var password = PasswordStdin();
        var passwd = new Command("passwd", "Set a new password for an account.") { name, password };
        passwd.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedName(result.GetValue(name)!);
            if (!result.GetValue(password))
            {
                throw CliException.BadInput("Give the new password on standard input with --password-stdin.");
            }

            var users = CliOptions.Storage(result).Users;
            var row = await ExistingAsync(users, key, cancellationToken).ConfigureAwait(false);
            row.PasswordHash = PasswordHasher.Hash(await ReadPasswordAsync(input).ConfigureAwait(false));
            await users.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Changed the password of '{key}'.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return passwd;
    }

    private static Command Remove(TextWriter output)
    {
        var name = NameArgument();
        var remove = new Command("remove", "Remove an account.") { name };
        remove.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedName(result.GetValue(name)!);
            var users = CliOptions.Storage(result).Users;

            // Deleting a missing entity succeeds silently, so look first to say so.
            if (!(await users.GetEntityIfExistsAsync<UserEntity>(UserEntity.Partition, key, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false)).HasValue)
            {
                throw CliException.NotFound($"There is no account '{key}'.");
            }

            await users.DeleteEntityAsync(UserEntity.Partition, key, ETag.All, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Removed '{key}'.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return remove;
    }

    private static async Task<UserEntity> ExistingAsync(TableClient users, string key, CancellationToken cancellationToken)
    {
        var existing = await users.GetEntityIfExistsAsync<UserEntity>(UserEntity.Partition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
        return existing.HasValue ? existing.Value! : throw CliException.NotFound($"There is no account '{key}'.");
    }

    private static async Task<string> ReadPasswordAsync(TextReader input)
    {
        var password = await input.ReadLineAsync().ConfigureAwait(false);
        return string.IsNullOrEmpty(password)
            ? throw CliException.BadInput("No password on standard input.")
            : password;
    }

    /// <summary>The row's list with <paramref name="added"/> and without <paramref name="removed"/>, each in its stored form.</summary>
    private static List<string> Senders(IEnumerable<string> current, string[]? added, string[] removed)
    {
        var senders = current.ToList();
        foreach (var entry in added ?? [])
        {
            var normalized = SenderEntry(entry);
            if (!senders.Contains(normalized, StringComparer.Ordinal))
            {
                senders.Add(normalized);
            }
        }

        foreach (var entry in removed)
        {
            if (senders.RemoveAll(s => s == SenderEntry(entry)) == 0)
            {
                throw CliException.BadInput($"'{entry}' is not on the account's list of senders.");
            }
        }

        return senders;
    }

    private static string SenderEntry(string entry) =>
        SenderPermissions.TryNormalizeEntry(entry, out var normalized)
            ? normalized
            : throw CliException.BadInput($"'{entry}' is neither an address (local@domain) nor *@domain, or holds a comma.");

    /// <returns>The limit to store: <paramref name="current"/> when the option is not given, null for 'default'.</returns>
    private static int? Limit(string? value, string option, int? current)
    {
        if (value is null)
        {
            return current;
        }

        if (string.Equals(value, "default", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit)
            ? limit
            : throw CliException.BadInput($"{option} takes a number (0: no limit) or 'default', not '{value}'.");
    }

    private static string NormalizedName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsControl) || name.Any(c => c is '/' or '\\' or '#' or '?'))
        {
            throw CliException.BadInput($"'{name}' is not a valid account name.");
        }

        return UserAccount.NormalizeName(name);
    }
}
