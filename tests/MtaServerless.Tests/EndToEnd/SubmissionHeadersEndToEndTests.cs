using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// RFC 6409 8.2 and 8.3 on the whole path: a message submitted without Message-ID or Date reaches the next hop with
/// both, beside our Received header; one that has them keeps its own; one from the mx listener is left as it came.
/// </summary>
public sealed class SubmissionHeadersEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string User = "alice@example.org";
    private const string Password = "alice's submission passphrase";
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submission_WithoutMessageIdOrDate_GetsBoth_WhileMxMailAndCompleteMessagesKeepTheirOwn()
    {
        await using var sink = SmtpSink.Start();
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("example.com", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)), TableUpdateMode.Replace);
        await azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false)), TableUpdateMode.Replace);
        using var runner = await InProcessRunner.StartAsync(
            azurite.ConnectionString,
            InProcessRunner.SubmissionListener("submission", ListenerRole.Submission, Path.Combine(Path.GetTempPath(), "mta-submission-tests", azurite.QueuePort.ToString(CultureInfo.InvariantCulture))));
        var endpoints = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;

        string bare;
        await using (var submission = await SmtpWireClient.ConnectAsync(endpoints[1]))
        {
            await submission.GreetAsync();
            await submission.CommandAsync("STARTTLS", "220");
            await submission.StartTlsAsync();
            await submission.CommandAsync("EHLO client.example", "250");
            await submission.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, Password), "235");
            bare = await SendAsync(submission, User, "Subject: bare\r\n");
            await SendAsync(submission, User, "Date: Sat, 28 Nov 2026 14:00:00 +0000\r\nMessage-ID: <own@client.example>\r\nSubject: complete\r\n");
        }

        await using (var mx = await SmtpWireClient.ConnectAsync(endpoints[0]))
        {
            await mx.GreetAsync();
            await SendAsync(mx, "stranger@outside.example", "Subject: relayed\r\n");
        }

        await sink.WaitForAcceptedAsync(3, ArrivalTimeout);
        await runner.StopAsync();
        var arrived = sink.Accepted.ToDictionary(m => Load(m.Data).Subject ?? string.Empty, m => Encoding.UTF8.GetString(m.Data));

        var completed = Load(arrived["bare"]);
        Assert.Matches("^Received: [^\r]*\r\n(\t[^\r]*\r\n)*Date: [^\r]*\r\nMessage-ID: <" + bare + "@edge\\.test>\r\nFrom: ", arrived["bare"]);
        Assert.Equal(bare + "@edge.test", completed.MessageId);
        Assert.InRange(completed.Date, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.Equal(("own@client.example", 1, 1), (Load(arrived["complete"]).MessageId, Count(arrived["complete"], "Message-ID:"), Count(arrived["complete"], "Date:")));
        Assert.Equal((0, 0), (Count(arrived["relayed"], "Message-ID:"), Count(arrived["relayed"], "Date:")));
    }

    /// <returns>The message id from the edge's 250.</returns>
    private static async Task<string> SendAsync(SmtpWireClient client, string from, string fields)
    {
        await client.CommandAsync($"MAIL FROM:<{from}>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<bob@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        var reply = await client.CommandAsync($"From: <{from}>\r\n{fields}\r\nHello.\r\n.", "250 2.0.0 Ok: queued as ");
        return reply["250 2.0.0 Ok: queued as ".Length..].Trim();
    }

    private static MimeMessage Load(byte[] data) => MimeMessage.Load(new MemoryStream(data));

    private static MimeMessage Load(string data) => Load(Encoding.UTF8.GetBytes(data));

    private static int Count(string message, string field) =>
        message.Split("\r\n\r\n")[0].Split("\r\n").Count(l => l.StartsWith(field, StringComparison.OrdinalIgnoreCase));
}
