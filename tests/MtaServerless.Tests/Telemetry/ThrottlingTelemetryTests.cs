using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Bicep.Tests;
using MtaServerless.Core.Telemetry;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// The edge's throttling events as exported, compared with telemetry.json: a client guessing passwords over two
/// connections (mta.auth.throttled, once), and a user running into its hourly limit (mta.user.limit_reached, once).
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class ThrottlingTelemetryTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string User = "limited@example.org";
    private const string Password = "limited user's passphrase";
    private static readonly TelemetryContract Contract = TelemetryContract.Load();

    [Fact]
    public async Task FailedLoginsAndALimit_ExportTheContractsEventsOnceEach()
    {
        var captured = new CapturedTelemetry();
        await azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false) { MessagesPerHour = 1 }), TableUpdateMode.Replace);
        using var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, Settings(), services: captured.AddTo);
        var submissions = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[1];

        for (var connection = 0; connection < 2; connection++)
        {
            await using var guesser = await LogInAsync(submissions, IPAddress.Loopback, "wrong");
            await guesser.ExpectAsync("535 5.7.8");
        }

        await using (var again = await LogInAsync(submissions, IPAddress.Loopback, Password))
        {
            await again.ExpectAsync("421 4.7.0");
        }

        await using (var user = await LogInAsync(submissions, IPAddress.Parse("127.0.0.2"), Password))
        {
            await user.ExpectAsync("235 2.7.0");
            await user.CommandAsync($"MAIL FROM:<{User}>", "250 2.1.0");
            await user.CommandAsync("RCPT TO:<someone@anywhere.example>", "250 2.1.5");
            await user.CommandAsync("DATA", "354");
            await user.CommandAsync($"From: <{User}>\r\n\r\nx\r\n.", "250 2.0.0");
            await user.CommandAsync($"MAIL FROM:<{User}>", "451 4.7.1");
            await user.CommandAsync($"MAIL FROM:<{User}>", "451 4.7.1");
        }

        await runner.StopAsync();

        var throttled = Assert.Single(Events(captured, TelemetryNames.AuthThrottled));
        Assert.Equal(Contract.Events[TelemetryNames.AuthThrottled].Order(StringComparer.Ordinal), Dimensions(throttled));
        Assert.Equal(("address", "127.0.0.1", "127.0.0.1", "submissions"), (throttled["Scope"], throttled["Key"], throttled["ClientAddress"], throttled["Listener"]));
        var limited = Assert.Single(Events(captured, TelemetryNames.UserLimitReached));
        Assert.Equal(Contract.Events[TelemetryNames.UserLimitReached].Order(StringComparer.Ordinal), Dimensions(limited));
        Assert.Equal(("l***@example.org", "MessagesPerHour", "1", "submissions"), (limited["User"], limited["Limit"], limited["Value"], limited["Listener"]));
    }

    private static async Task<SmtpWireClient> LogInAsync(IPEndPoint endpoint, IPAddress from, string password)
    {
        var client = await SmtpWireClient.ConnectAsync(endpoint, implicitTls: true, localAddress: from);
        await client.GreetAsync();
        await client.SendAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, password) + "\r\n");
        return client;
    }

    private static IEnumerable<CapturedLog> Events(CapturedTelemetry captured, string name) =>
        captured.Logs.Where(l => l[MtaTelemetry.CustomEventNameAttribute] == name);

    private static IEnumerable<string> Dimensions(CapturedLog log) =>
        log.Attributes.Keys.Where(k => k is not ("{OriginalFormat}" or MtaTelemetry.CustomEventNameAttribute)).Order(StringComparer.Ordinal);

    private Dictionary<string, string?> Settings()
    {
        var settings = InProcessRunner.SubmissionListener("submissions", ListenerRole.Submissions, Path.Combine(Path.GetTempPath(), "mta-throttling-tests", azurite.QueuePort.ToString(CultureInfo.InvariantCulture)));
        settings["Edge:Limits:MaxAuthFailuresPerAddress"] = "2";
        settings["Edge:Limits:AuthFailureDelay"] = "00:00:00.100";
        return settings;
    }
}
