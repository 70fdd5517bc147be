using Azure.Data.Tables;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MtaServerless.Core.Users;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// Who a logged-in user may send as, in MAIL FROM and in the From: and Sender: fields: its own address, the
/// addresses of its row and the domains it lists as *@domain, compared as RFC 5321 says (domain case-insensitive and
/// IDN-aware, local part exact), UTF-8 addresses included. Anything else is 553 5.7.1; trusted networks are not held to it.
/// </summary>
public sealed class SenderAuthorizationTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string Writer = "writer@example.org";
    private const string Password = "writer's long passphrase";

    [Theory]
    [InlineData("writer@example.org")]
    [InlineData("writer@EXAMPLE.Org")]
    [InlineData("\"writer\"@example.org")]
    [InlineData("Team.Lead@example.org")]
    [InlineData("Team.Lead@Example.ORG")]
    [InlineData("\"first last\"@example.org")]
    [InlineData("anyone@xn--bcher-kva.test")]
    [InlineData("anyone@bücher.test", true)]
    [InlineData("anyone@BÜCHER.test", true)]
    [InlineData("jörg@example.org", true)]
    [InlineData("\"jörg\"@example.org", true)]
    [InlineData("")]
    public async Task Mail_AnAddressTheLoginMayUse_IsAccepted(string sender, bool utf8 = false)
    {
        await using var edge = await StartAsync();
        await using var client = await LogInAsync(edge);

        await client.CommandAsync($"MAIL FROM:<{sender}>" + (utf8 ? " SMTPUTF8" : string.Empty), "250 2.1.0");
    }

    [Theory]
    [InlineData("ceo@example.org")]
    [InlineData("WRITER@example.org")]
    [InlineData("team.lead@example.org")]
    [InlineData("writer@sub.example.org")]
    [InlineData("writer@example.org.evil.test")]
    [InlineData("anyone@sub.bücher.test", true)]
    [InlineData("anyone@xn--bcher-kva.test.evil", false)]
    [InlineData("jorg@example.org")]
    [InlineData("JÖRG@example.org", true)]
    [InlineData("\"first  last\"@example.org")]
    public async Task Mail_AnyOtherAddress_Is553AndTheSessionGoesOn(string sender, bool utf8 = false)
    {
        await using var edge = await StartAsync();
        await using var client = await LogInAsync(edge);

        await client.CommandAsync($"MAIL FROM:<{sender}>" + (utf8 ? " SMTPUTF8" : string.Empty), "553 5.7.1");
        await client.CommandAsync($"MAIL FROM:<{Writer}>", "250 2.1.0");
    }

    [Theory]
    [InlineData("From: Writer <writer@example.org>", "250 2.0.0")]
    [InlineData("From: (ceo@example.org) writer@example.org", "250 2.0.0")]
    [InlineData("From: \"ceo@example.org\" <writer@example.org>", "250 2.0.0")]
    [InlineData("From: Writer\r\n <writer@example.org>,\r\n\tTeam <Team.Lead@example.org>", "250 2.0.0")]
    [InlineData("From: =?utf-8?q?J=C3=B6rg?= <anyone@BÜCHER.test>", "250 2.0.0")]
    [InlineData("From: Jörg <jörg@example.org>", "250 2.0.0")]
    [InlineData("From: <@relay.example:writer@example.org>", "250 2.0.0")]
    [InlineData("From: Team: writer@example.org, \"first last\"@example.org;", "250 2.0.0")]
    [InlineData("From: writer@example.org\r\nSender: Team.Lead@example.org", "250 2.0.0")]
    [InlineData("Subject: no author fields", "250 2.0.0")]
    [InlineData("From: \"The CEO\" <ceo@example.org>", "553 5.7.1")]
    [InlineData("FROM: ceo@example.org", "553 5.7.1")]
    [InlineData("From : ceo@example.org", "553 5.7.1")]
    [InlineData("From: Writer\r\n <ceo@example.org>", "553 5.7.1")]
    [InlineData("From: writer@example.org, ceo@example.org", "553 5.7.1")]
    [InlineData("From: writer@example.org\r\nFrom: ceo@example.org", "553 5.7.1")]
    [InlineData("From: writer@example.org\r\nSender: ceo@example.org", "553 5.7.1")]
    [InlineData("From: WRITER@example.org", "553 5.7.1")]
    [InlineData("From: Jörg <jorg@example.org>", "553 5.7.1")]
    [InlineData("From: anyone@sub.bücher.test", "553 5.7.1")]
    [InlineData("From: writer@example.org <ceo@example.org>", "553 5.7.1")]
    [InlineData("From: \"unterminated <writer@example.org>", "553 5.7.1")]
    [InlineData("From: Team: ceo@example.org;", "553 5.7.1")]
    [InlineData("From: <>", "553 5.7.1")]
    public async Task Data_FromAndSenderFields_AreHeldToTheSameAddresses(string fields, string expected)
    {
        await using var edge = await StartAsync();
        await using var client = await LogInAsync(edge);
        await client.CommandAsync($"MAIL FROM:<{Writer}> SMTPUTF8", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");

        await client.CommandAsync(fields + "\r\nSubject: test\r\n\r\nFrom: ceo@example.org is body text, not a field\r\n.", expected);

        Assert.Equal(expected.StartsWith("250", StringComparison.Ordinal) ? 1 : 0, edge.Spool.Committed.Count);
        await client.CommandAsync("NOOP", "250 2.0.0");
    }

    [Fact]
    public async Task Data_HeaderSectionWithoutBody_StillHasItsLastFieldChecked()
    {
        await using var edge = await StartAsync();
        await using var client = await LogInAsync(edge);
        await client.CommandAsync($"MAIL FROM:<{Writer}>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");

        await client.CommandAsync("Subject: x\r\nFrom: ceo@example.org\r\n.", "553 5.7.1");
    }

    [Fact]
    public async Task Data_FromSplitAcrossEveryByte_IsStillRead()
    {
        await using var edge = await StartAsync();
        await using var client = await LogInAsync(edge);
        await client.CommandAsync($"MAIL FROM:<{Writer}>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");

        await client.SendByteByByteAsync("Subject: x\r\nFrom: Writer\r\n <ceo@example.org>\r\n\r\nbody\r\n.\r\n");

        await client.ExpectAsync("553 5.7.1");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MailKit_ForgedFromBehindAnAllowedEnvelope_IsRefusedByDataOrBdat(bool chunking)
    {
        await using var edge = await StartAsync();
        var message = Forged();

        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", edge.SubmissionEndpoint.Port, SecureSocketOptions.StartTls);
        if (!chunking)
        {
            client.Capabilities &= ~SmtpCapabilities.Chunking;
        }

        await client.AuthenticateAsync(Writer, Password);
        var error = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            client.SendAsync(message, MailboxAddress.Parse(Writer), [MailboxAddress.Parse("someone@anywhere.example")]));

        Assert.Equal((SmtpErrorCode.MessageNotAccepted, SmtpStatusCode.MailboxNameNotAllowed), (error.ErrorCode, error.StatusCode));
        message.From.Clear();
        message.From.Add(new MailboxAddress("Writer", Writer));
        await client.SendAsync(message);
        Assert.Equal(Writer, Assert.Single(edge.Spool.Committed).Envelope.MailFrom);
    }

    [Fact]
    public async Task MailKit_ForgedMailFrom_Is553AtMail()
    {
        await using var edge = await StartAsync();
        var message = Forged();

        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", edge.SubmissionsEndpoint.Port, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(Writer, Password);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));

        Assert.Equal((SmtpErrorCode.SenderNotAccepted, SmtpStatusCode.MailboxNameNotAllowed), (error.ErrorCode, error.StatusCode));
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task TrustedNetwork_LoggedIn_MaySendAsAnyoneAsBefore()
    {
        await using var edge = await StartAsync(new Dictionary<string, string?> { ["Edge:TrustedNetworks:0"] = "127.0.0.0/8" });
        await using var client = await LogInAsync(edge);
        await client.CommandAsync("MAIL FROM:<ceo@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");

        await client.CommandAsync("From: ceo@example.org\r\n\r\nx\r\n.", "250 2.0.0");
    }

    private async Task<EdgeServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var writer = new UserAccount(Writer, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false)
        {
            AllowedSenders = ["Team.Lead@example.org", "*@bücher.test", "\"first last\"@example.org", "jörg@example.org"],
        };
        await storage.Users.UpsertEntityAsync(UserEntity.FromAccount(writer), TableUpdateMode.Replace);
        return await EdgeServer.StartAsync(storage, settings: settings);
    }

    private static MimeMessage Forged()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("The CEO", "ceo@example.org"));
        message.To.Add(new MailboxAddress("Someone", "someone@anywhere.example"));
        message.Subject = "Wire the money";
        message.Body = new TextPart("plain") { Text = "Now.\n" };
        return message;
    }

    private static async Task<SmtpWireClient> LogInAsync(EdgeServer edge)
    {
        var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.GreetAsync();
        await client.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(Writer, Password), "235 2.7.0");
        return client;
    }
}
