using System.Text.RegularExpressions;
using MtaServerless.Core.Users;
using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

public sealed class UsersCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Add_WithPasswordFromStdin_StoresOnlyAHashTheEdgeVerifies()
    {
        var run = await CliRun.RunWithInputAsync(azurite, "s3cret pass\n", "users", "add", "Alice@Example.COM", "--password-stdin", "--mailbox");

        Assert.Equal((0, "Added 'alice@example.com'."), (run.ExitCode, run.Output.Trim()));
        var row = (await azurite.Storage.Users.GetEntityAsync<UserEntity>(UserEntity.Partition, "alice@example.com")).Value;
        Assert.DoesNotContain("s3cret", row.PasswordHash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("s3cret pass", row.PasswordHash));
        Assert.False(PasswordHasher.Verify("s3cret pas", row.PasswordHash));
        Assert.True(row.Mailbox);
    }

    [Fact]
    public async Task List_ShowsLoginAndMailboxButNeverTheHash()
    {
        await CliRun.RunWithInputAsync(azurite, "pw\n", "users", "add", "list-login@example.com", "--password-stdin");
        await CliRun.RunAsync(azurite, "users", "add", "list-box@example.com", "--mailbox");

        var run = await CliRun.RunAsync(azurite, "users", "list");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"^list-login@example\.com\s+yes\s+no\s+no\s+-\s+-\s+-$"));
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"^list-box@example\.com\s+no\s+yes\s+no\s+-\s+-\s+-$"));
        Assert.DoesNotContain("pbkdf2", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Passwd_ReplacesTheHash_AndRemoveDeletes()
    {
        await CliRun.RunWithInputAsync(azurite, "old\n", "users", "add", "carol@example.com", "--password-stdin");

        var changed = await CliRun.RunWithInputAsync(azurite, "new\n", "users", "passwd", "carol@example.com", "--password-stdin");
        var row = (await azurite.Storage.Users.GetEntityAsync<UserEntity>(UserEntity.Partition, "carol@example.com")).Value;
        var removed = await CliRun.RunAsync(azurite, "users", "remove", "carol@example.com");
        var again = await CliRun.RunAsync(azurite, "users", "remove", "carol@example.com");

        Assert.Equal(0, changed.ExitCode);
        Assert.True(PasswordHasher.Verify("new", row.PasswordHash));
        Assert.False(PasswordHasher.Verify("old", row.PasswordHash));
        Assert.Equal(0, removed.ExitCode);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("no account 'carol@example.com'", again.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "needs a login", "users", "add", "dave@example.com")]
    [InlineData("", "No password on standard input", "users", "add", "dave@example.com", "--password-stdin")]
    [InlineData("pw\n", "not a valid account name", "users", "add", "da/ve@example.com", "--password-stdin")]
    [InlineData("", "--password-stdin", "users", "passwd", "dave@example.com")]
    public async Task BadInput_ExitsWithTwoAndWritesNothing(string stdin, string expected, params string[] args)
    {
        var run = await CliRun.RunWithInputAsync(azurite, stdin, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        Assert.False((await azurite.Storage.Users.GetEntityIfExistsAsync<UserEntity>(UserEntity.Partition, "dave@example.com")).HasValue);
    }

    [Fact]
    public async Task Add_Existing_ExitsWithTwo_AndPasswdOfUnknownWithOne()
    {
        await CliRun.RunAsync(azurite, "users", "add", "erin@example.com", "--mailbox");

        var duplicate = await CliRun.RunAsync(azurite, "users", "add", "ERIN@example.com", "--mailbox");
        var unknown = await CliRun.RunWithInputAsync(azurite, "pw\n", "users", "passwd", "nobody@example.com", "--password-stdin");

        Assert.Equal(2, duplicate.ExitCode);
        Assert.Contains("exists already", duplicate.Error, StringComparison.Ordinal);
        Assert.Equal(1, unknown.ExitCode);
    }

    [Fact]
    public async Task AddAndSet_SendersAndLimits_AreStoredNormalizedAndListed()
    {
        var added = await CliRun.RunWithInputAsync(azurite, "pw\n", "users", "add", "frank@example.com", "--password-stdin", "--allow-sender", "Team@Bücher.TEST", "--messages-per-hour", "5");
        var set = await CliRun.RunAsync(
            azurite, "users", "set", "Frank@Example.com", "--allow-sender", "*@Example.NET", "--allow-sender", "\"first last\"@example.com", "--disallow-sender", "Team@xn--bcher-kva.test", "--recipients-per-day", "0", "--messages-per-hour", "default");
        var row = (await azurite.Storage.Users.GetEntityAsync<UserEntity>(UserEntity.Partition, "frank@example.com")).Value;
        var list = await CliRun.RunAsync(azurite, "users", "list", "--json");

        Assert.Equal((0, 0), (added.ExitCode, set.ExitCode));
        Assert.Equal(["*@example.net", "\"first last\"@example.com"], row.ToAccount().AllowedSenders);
        Assert.Equal((null, 0), (row.MessagesPerHour, row.RecipientsPerDay));
        Assert.True(PasswordHasher.Verify("pw", row.PasswordHash));
        Assert.Contains("\"recipientsPerDay\": 0", list.Output, StringComparison.Ordinal);
        Assert.Contains("*@example.net", list.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("neither an address", "users", "set", "grace@example.com", "--allow-sender", "a,b@example.com")]
    [InlineData("neither an address", "users", "set", "grace@example.com", "--allow-sender", "no-at-sign")]
    [InlineData("neither an address", "users", "set", "grace@example.com", "--allow-sender", "a@[192.0.2.1]")]
    [InlineData("not on the account's list", "users", "set", "grace@example.com", "--disallow-sender", "other@example.com")]
    [InlineData("takes a number", "users", "set", "grace@example.com", "--messages-per-hour", "-1")]
    [InlineData("takes a number", "users", "set", "grace@example.com", "--recipients-per-day", "many")]
    [InlineData("Say what to change", "users", "set", "grace@example.com")]
    public async Task Set_BadInput_ExitsWithTwoAndChangesNothing(string expected, params string[] args)
    {
        await CliRun.RunAsync(azurite, "users", "add", "grace@example.com", "--mailbox", "--allow-sender", "team@example.com");

        var run = await CliRun.RunAsync(azurite, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
        var row = (await azurite.Storage.Users.GetEntityAsync<UserEntity>(UserEntity.Partition, "grace@example.com")).Value;
        Assert.Equal(["team@example.com"], row.ToAccount().AllowedSenders);
        Assert.Null(row.MessagesPerHour);
    }

    [Fact]
    public async Task Set_UnknownAccount_ExitsWithOne()
    {
        var run = await CliRun.RunAsync(azurite, "users", "set", "nobody-here@example.com", "--messages-per-hour", "3");

        Assert.Equal(1, run.ExitCode);
    }
}
