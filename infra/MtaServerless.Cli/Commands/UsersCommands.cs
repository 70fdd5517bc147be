using System.CommandLine;
using Azure;
using Azure.Data.Tables;
using MtaServerless.Core.Users;

namespace MtaServerless.Cli.Commands;

/// <summary>
/// <c>mta users list | add | passwd | remove</c>: submission accounts and local mailboxes. Passwords
/// are read from standard input (never from the command line, which other users and shell history
/// can see) and stored only as the edge's slow salted hash.
/// </summary>
internal static class UsersCommands
{
    public static Command Create(TextReader input, TextWriter output)
    {
        var users = new Command("users", "Manage submission accounts and local mailboxes.");
        users.Subcommands.Add(List(output));
        users.Subcommands.Add(Add(input, output));
        users.Subcommands.Add(Passwd(input, output));
        users.Subcommands.Add(Remove(output));
        return users;
    }

    private static Argument<string> NameArgument() => new("address") { Description = "The login and mailbox address, e.g. alice@example.com." };

    private static Option<bool> PasswordStdin() => new("--password-stdin") { Description = "Read the password from the first line of standard input." };

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
                ("Disabled", u => u.Disabled)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Add(TextReader input, TextWriter output)
    {
        var name = NameArgument();
        var password = PasswordStdin();
        var mailbox = new Option<bool>("--mailbox") { Description = "Deliver mail for this address to a local mailbox (its domain needs a mailbox route)." };
        var add = new Command("add", "Add an account: a login (--password-stdin), a mailbox (--mailbox), or both.") { name, password, mailbox };
        add.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedName(result.GetValue(name)!);
            if (!result.GetValue(password) && !result.GetValue(mailbox))
            {
                throw CliException.BadInput("An account needs a login (--password-stdin), a mailbox (--mailbox), or both.");
            }

            var hash = result.GetValue(password) ? PasswordHasher.Hash(await ReadPasswordAsync(input).ConfigureAwait(false)) : null;
            try
            {
                await CliOptions.Storage(result).Users.AddEntityAsync(
                    UserEntity.FromAccount(new UserAccount(key, hash, result.GetValue(mailbox))),
                    cancellationToken).ConfigureAwait(false);
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
            var existing = await users.GetEntityIfExistsAsync<UserEntity>(UserEntity.Partition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.HasValue)
            {
                throw CliException.NotFound($"There is no account '{key}'.");
            }

            var row = existing.Value!;
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

    private static async Task<string> ReadPasswordAsync(TextReader input)
    {
        var password = await input.ReadLineAsync().ConfigureAwait(false);
        return string.IsNullOrEmpty(password)
            ? throw CliException.BadInput("No password on standard input.")
            : password;
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
