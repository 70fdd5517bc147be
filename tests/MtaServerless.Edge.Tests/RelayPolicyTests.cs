using Azure.Data.Tables;
using MtaServerless.Core.Routing;

namespace MtaServerless.Edge.Tests;

/// <summary>No open relay (invariant 4): what an unauthenticated client on the mx listener may and may not reach.</summary>
public sealed class RelayPolicyTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    [Theory]
    [InlineData("someone@" + EdgeStorageFixture.InboundDomain, "250 2.1.5")]
    [InlineData("SomeOne@EXAMPLE.NET", "250 2.1.5")]
    [InlineData("someone@" + EdgeStorageFixture.RelayOnlyDomain, "554 5.7.1")]
    [InlineData("someone@unrouted.example", "554 5.7.1")]
    [InlineData("someone%unrouted.example@" + EdgeStorageFixture.InboundDomain, "554 5.7.1")]
    [InlineData("unrouted.example!someone@" + EdgeStorageFixture.InboundDomain, "554 5.7.1")]
    [InlineData("\"someone@unrouted.example\"@" + EdgeStorageFixture.InboundDomain, "554 5.7.1")]
    [InlineData("@" + EdgeStorageFixture.InboundDomain + ":someone@unrouted.example", "554 5.7.1")]
    [InlineData("someone@unrouted.example@" + EdgeStorageFixture.InboundDomain, "501 5.1.3")]
    [InlineData(EdgeStorageFixture.MailboxUser, "250 2.1.5")]
    [InlineData("ALICE@Mail.Test", "250 2.1.5")]
    [InlineData("bob@" + EdgeStorageFixture.MailboxDomain, "550 5.1.1")]
    [InlineData(EdgeStorageFixture.DisabledUser, "550 5.1.1")]
    [InlineData("anyone@" + EdgeStorageFixture.RejectDomain, "550 5.7.1 " + EdgeStorageFixture.RejectText)]
    public async Task Rcpt_UnauthenticatedOnMx_FollowsTheRoute(string recipient, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<stranger@example.org>", "250 2.1.0");

        await client.CommandAsync($"RCPT TO:<{recipient}>", expected);

        if (!expected.StartsWith("250", StringComparison.Ordinal))
        {
            await client.CommandAsync("DATA", "503 5.5.1");
            Assert.Empty(edge.Spool.Committed);
        }
    }

    [Fact]
    public async Task Rcpt_RefusedAmongAccepted_OnlyAcceptedRecipientsAreEnqueued()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.SendAsync(
            "MAIL FROM:<stranger@example.org>\r\n" +
            "RCPT TO:<victim@unrouted.example>\r\n" +
            "RCPT TO:<someone@example.com>\r\n" +
            "RCPT TO:<victim%unrouted.example@example.com>\r\n" +
            "DATA\r\n");
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("554 5.7.1");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("554 5.7.1");
        await client.ExpectAsync("354");
        await client.CommandAsync("Subject: x\r\n\r\nx\r\n.", "250 2.0.0");

        Assert.Equal(["someone@example.com"], Assert.Single(edge.Spool.Committed).Envelope.Recipients.Select(r => r.Address));
    }

    [Fact]
    public async Task Rcpt_FromTrustedNetwork_MayRelayButRejectRoutesStillRefuse()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:TrustedNetworks:0"] = "127.0.0.0/8" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<app@example.org>", "250 2.1.0");

        await client.CommandAsync("RCPT TO:<someone@unrouted.example>", "250 2.1.5");
        await client.CommandAsync("RCPT TO:<someone@" + EdgeStorageFixture.RelayOnlyDomain + ">", "250 2.1.5");
        await client.CommandAsync("RCPT TO:<x@" + EdgeStorageFixture.RejectDomain + ">", "550 5.7.1");
        await client.CommandAsync("RCPT TO:<nobody@" + EdgeStorageFixture.MailboxDomain + ">", "550 5.1.1");
    }

    /// <summary>A trusted network's mail is ours, as a logged-in user's is: the inbound document says so, and Ingest signs it.</summary>
    [Theory]
    [InlineData("127.0.0.0/8", true)]
    [InlineData("10.0.0.0/8", false)]
    public async Task Message_FromATrustedNetwork_IsMarkedTrusted(string trustedNetwork, bool trusted)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:TrustedNetworks:0"] = trustedNetwork });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<app@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@" + EdgeStorageFixture.RelayOnlyDomain + ">", trusted ? "250 2.1.5" : "554 5.7.1");
        await client.CommandAsync("RCPT TO:<someone@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("From: <app@example.org>\r\n\r\nx\r\n.", "250 2.0.0");

        var session = Assert.Single(edge.Spool.Committed).Session;
        Assert.Equal((trusted, trusted), (session.Trusted, session.FromOurUser));
    }

    [Fact]
    public async Task Routes_EditedWhileRunning_ApplyWithinTheCacheTtl()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:DirectoryCacheTtl"] = "00:00:00.300" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<stranger@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<someone@new-domain.example>", "554 5.7.1");

        await storage.Azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("new-domain.example", RouteAction.Smarthost, "relay.example.net", AcceptsInbound: true)),
            TableUpdateMode.Replace);
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        await client.CommandAsync("RCPT TO:<someone@new-domain.example>", "250 2.1.5");
    }
}
