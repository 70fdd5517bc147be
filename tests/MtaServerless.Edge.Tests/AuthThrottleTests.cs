using System.Net;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>Failed logins count across connections: per client address (421 4.7.0 and closed) and per account (454 4.7.0).</summary>
public sealed class AuthThrottleTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string User = EdgeStorageFixture.SubmissionUser;
    private const string Password = EdgeStorageFixture.SubmissionPassword;

    [Fact]
    public async Task Auth_ClientReconnectingAfterFailures_IsThrottledWith421EvenWithTheRightPassword()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Limits:MaxAuthFailuresPerAddress"] = "4" });
        await using (var first = await ConnectAsync(edge, IPAddress.Loopback))
        {
            await first.CommandAsync(Auth("wrong-1"), "535 5.7.8");
            await first.CommandAsync(Auth("wrong-2"), "535 5.7.8");
            await first.CommandAsync(Auth("wrong-3"), "535 5.7.8");
            await first.ExpectAsync("421 4.7.0 Too many errors");
        }

        await using (var second = await ConnectAsync(edge, IPAddress.Loopback))
        {
            await second.CommandAsync(Auth("wrong-4"), "535 5.7.8");
            await second.CommandAsync(Auth(Password), "421 4.7.0 Too many failed logins");
            await second.ExpectClosedAsync();
        }

        await using var third = await ConnectAsync(edge, IPAddress.Loopback);
        await third.CommandAsync(Auth(Password), "421 4.7.0 Too many failed logins");
        await third.ExpectClosedAsync();

        // Another client address is not affected.
        await using var other = await ConnectAsync(edge, IPAddress.Parse("127.0.0.2"));
        await other.CommandAsync(Auth(Password), "235 2.7.0");
    }

    [Fact]
    public async Task Auth_OneAccountGuessedFromManyAddresses_IsThrottledWith454ForEveryone()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?>
        {
            ["Edge:Limits:MaxAuthFailuresPerAccount"] = "3",
            ["Edge:Limits:MaxAuthFailuresPerAddress"] = "100",
        });
        for (var i = 2; i <= 4; i++)
        {
            await using var guesser = await ConnectAsync(edge, IPAddress.Parse($"127.0.0.{i}"));
            await guesser.CommandAsync(Auth($"guess-{i}"), "535 5.7.8");
        }

        await using var owner = await ConnectAsync(edge, IPAddress.Parse("127.0.0.5"));
        await owner.CommandAsync(Auth(Password), "454 4.7.0");
        await owner.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain("nobody@example.org", "x"), "535 5.7.8");
        await owner.CommandAsync("NOOP", "250 2.0.0");
    }

    private static string Auth(string password) => "AUTH PLAIN " + SmtpWireClient.Plain(User, password);

    private static async Task<SmtpWireClient> ConnectAsync(EdgeServer edge, IPAddress from)
    {
        var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true, localAddress: from);
        await client.GreetAsync();
        return client;
    }
}
