using Azure.Data.Tables;
using MtaServerless.Core.Users;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// Per-user sending limits, counted over the user's connections: messages per hour (451 4.7.1 at MAIL) and recipients
/// per day (451 4.7.1 at the RCPT that would go over), from the user's row or the edge's defaults, 0 meaning none.
/// </summary>
public sealed class SendingLimitTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string Password = "limits passphrase";

    [Fact]
    public async Task Mail_OverTheRowsMessagesPerHour_Is451AcrossConnections()
    {
        await using var edge = await StartAsync("hourly@example.org", messagesPerHour: 2, recipientsPerDay: null);
        await using (var first = await LogInAsync(edge, "hourly@example.org"))
        {
            await SendAsync(first, "hourly@example.org", "a@anywhere.example");
            await SendAsync(first, "hourly@example.org", "b@anywhere.example");
        }

        await using var second = await LogInAsync(edge, "hourly@example.org");
        await second.CommandAsync("MAIL FROM:<hourly@example.org>", "451 4.7.1");
        await second.CommandAsync("NOOP", "250 2.0.0");
        Assert.Equal(2, edge.Spool.Committed.Count);
    }

    [Fact]
    public async Task Rcpt_OverTheRowsRecipientsPerDay_Is451ForTheRecipientThatWouldGoOver()
    {
        await using var edge = await StartAsync("daily@example.org", messagesPerHour: null, recipientsPerDay: 3);
        await using var client = await LogInAsync(edge, "daily@example.org");
        await SendAsync(client, "daily@example.org", "a@anywhere.example", "b@anywhere.example");

        await client.CommandAsync("MAIL FROM:<daily@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<c@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("RCPT TO:<d@anywhere.example>", "451 4.7.1");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("Subject: x\r\n\r\nx\r\n.", "250 2.0.0");

        Assert.Equal(["c@anywhere.example"], edge.Spool.Committed.Last().Envelope.Recipients.Select(r => r.Address));
    }

    [Fact]
    public async Task Limits_EdgeDefaultApplies_AndARowsZeroMeansNoLimit()
    {
        var settings = new Dictionary<string, string?> { ["Edge:Limits:MessagesPerHour"] = "1" };
        await using var edge = await StartAsync("default@example.org", messagesPerHour: null, recipientsPerDay: null, settings);
        await UpsertAsync("unlimited@example.org", messagesPerHour: 0, recipientsPerDay: null);
        await using var limited = await LogInAsync(edge, "default@example.org");
        await using var unlimited = await LogInAsync(edge, "unlimited@example.org");

        await SendAsync(limited, "default@example.org", "a@anywhere.example");
        await limited.CommandAsync("MAIL FROM:<default@example.org>", "451 4.7.1");
        await SendAsync(unlimited, "unlimited@example.org", "a@anywhere.example");
        await SendAsync(unlimited, "unlimited@example.org", "b@anywhere.example");
    }

    [Fact]
    public async Task Limits_RefusedMessages_AreNotCounted()
    {
        await using var edge = await StartAsync("careful@example.org", messagesPerHour: 1, recipientsPerDay: null);
        await using var client = await LogInAsync(edge, "careful@example.org");
        await client.CommandAsync("MAIL FROM:<careful@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<a@anywhere.example>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("From: ceo@example.org\r\n\r\nx\r\n.", "553 5.7.1");

        await SendAsync(client, "careful@example.org", "a@anywhere.example");
    }

    private async Task<EdgeServer> StartAsync(string user, int? messagesPerHour, int? recipientsPerDay, IReadOnlyDictionary<string, string?>? settings = null)
    {
        await UpsertAsync(user, messagesPerHour, recipientsPerDay);
        return await EdgeServer.StartAsync(storage, settings: settings);
    }

    private Task UpsertAsync(string user, int? messagesPerHour, int? recipientsPerDay) =>
        storage.Users.UpsertEntityAsync(
            UserEntity.FromAccount(new UserAccount(user, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false) { MessagesPerHour = messagesPerHour, RecipientsPerDay = recipientsPerDay }),
            TableUpdateMode.Replace);

    private static async Task<SmtpWireClient> LogInAsync(EdgeServer edge, string user)
    {
        var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.GreetAsync();
        await client.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(user, Password), "235 2.7.0");
        return client;
    }

    private static async Task SendAsync(SmtpWireClient client, string from, params string[] recipients)
    {
        await client.CommandAsync($"MAIL FROM:<{from}>", "250 2.1.0");
        foreach (var recipient in recipients)
        {
            await client.CommandAsync($"RCPT TO:<{recipient}>", "250 2.1.5");
        }

        await client.CommandAsync("DATA", "354");
        await client.CommandAsync($"From: <{from}>\r\nSubject: x\r\n\r\nx\r\n.", "250 2.0.0");
    }
}
