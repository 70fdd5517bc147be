using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using MtaServerless.Core.Users;

namespace MtaServerless.Edge.Tests;

/// <summary>The users table the edge authenticates and validates mailboxes against (Core/Users).</summary>
public sealed class UserDirectoryTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    [Fact]
    public void PasswordHasher_Hash_IsSaltedSlowAndSelfDescribing()
    {
        var first = PasswordHasher.Hash("secret");
        var second = PasswordHasher.Hash("secret");

        Assert.NotEqual(first, second);
        var parts = first.Split('$');
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 210_000);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.DoesNotContain("secret", first, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("secret", true)]
    [InlineData("Secret", false)]
    [InlineData("", false)]
    public void PasswordHasher_Verify_AcceptsOnlyThePassword(string attempt, bool expected)
    {
        var stored = PasswordHasher.Hash("secret", iterations: 1000);

        Assert.Equal(expected, PasswordHasher.Verify(attempt, stored));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("plaintext")]
    [InlineData("pbkdf2-sha256$0$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64$AAAA")]
    [InlineData("md5$1000$AAAA$AAAA")]
    public void PasswordHasher_VerifyAgainstNoOrBrokenHash_IsFalse(string? stored)
    {
        Assert.False(PasswordHasher.Verify("plaintext", stored));
    }

    [Fact]
    public async Task UserDirectory_ReadsTheTableAndSeesEditsAfterTheTtl()
    {
        var time = new ManualTime();
        var directory = new UserDirectory(storage.Users, time, NullLogger<UserDirectory>.Instance, TimeSpan.FromMinutes(1));

        var users = await directory.GetAsync(CancellationToken.None);
        Assert.True(users.HasMailbox("Alice@MAIL.test"));
        Assert.False(users.HasMailbox(EdgeStorageFixture.DisabledUser));
        Assert.True(users.Find(EdgeStorageFixture.SubmissionUser) is { CanLogIn: true, ReceivesMail: false });
        Assert.Null(users.Find("carol@mail.test"));

        await storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount("Carol@Mail.Test", null, Mailbox: true)), TableUpdateMode.Replace);
        Assert.False((await directory.GetAsync(CancellationToken.None)).HasMailbox("carol@mail.test"));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await directory.GetAsync(CancellationToken.None)).HasMailbox("carol@mail.test"));
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
