using Azure.Data.Tables;
using MtaServerless.Core.Users;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// RFC 5321 4.5.1 from the outside (an unauthenticated client on the mx listener): postmaster@ every domain we accept
/// mail for, and the bare &lt;Postmaster&gt;, are accepted, and go where configuration says without a users row.
/// </summary>
public sealed class PostmasterTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string Hostmaster = "hostmaster@example.com";

    [Theory]
    [InlineData("postmaster@" + EdgeStorageFixture.MailboxDomain, "postmaster@mail.test")]
    [InlineData("PostMaster@Mail.TEST", "PostMaster@mail.test")]
    [InlineData("\"postmaster\"@" + EdgeStorageFixture.MailboxDomain, "\"postmaster\"@mail.test")]
    [InlineData("Postmaster", "postmaster@" + EdgeServer.HostName)]
    [InlineData("POSTMASTER", "postmaster@" + EdgeServer.HostName)]
    [InlineData("postmaster@" + EdgeStorageFixture.InboundDomain, "postmaster@example.com")]
    public async Task Rcpt_Postmaster_WithoutConfiguration_IsAcceptedAsAddressed(string recipient, string enqueued)
    {
        await using var edge = await EdgeServer.StartAsync(storage);

        Assert.Equal(enqueued, await SendAsync(edge, recipient));
    }

    [Theory]
    [InlineData("postmaster@" + EdgeStorageFixture.MailboxDomain, Hostmaster)]
    [InlineData("Postmaster", Hostmaster)]
    [InlineData("postmaster@" + EdgeStorageFixture.InboundDomain, "postmaster@example.com")]
    public async Task Rcpt_Postmaster_WithAPostmasterAddress_GoesThereUnlessTheDomainIsRelayedOn(string recipient, string enqueued)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:PostmasterAddress"] = Hostmaster });

        Assert.Equal(enqueued, await SendAsync(edge, recipient));
    }

    [Fact]
    public async Task Rcpt_PostmasterWithAMailboxOfItsOwn_IsDeliveredThere()
    {
        await storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount("postmaster@" + EdgeStorageFixture.MailboxDomain, null, Mailbox: true)), TableUpdateMode.Replace);
        try
        {
            await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:PostmasterAddress"] = Hostmaster });

            Assert.Equal("postmaster@mail.test", await SendAsync(edge, "postmaster@" + EdgeStorageFixture.MailboxDomain));
        }
        finally
        {
            await storage.Users.DeleteEntityAsync(UserEntity.Partition, "postmaster@" + EdgeStorageFixture.MailboxDomain);
        }
    }

    [Theory]
    [InlineData("postmaster@" + EdgeStorageFixture.RelayOnlyDomain, "554 5.7.1")]
    [InlineData("postmaster@unrouted.example", "554 5.7.1")]
    [InlineData("postmaster@" + EdgeStorageFixture.RejectDomain, "550 5.7.1")]
    [InlineData("postmasters@" + EdgeStorageFixture.MailboxDomain, "550 5.1.1")]
    public async Task Rcpt_PostmasterOfADomainWeDoNotAcceptMailFor_IsRefusedAsAnyRecipient(string recipient, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:PostmasterAddress"] = Hostmaster });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<stranger@example.org>", "250 2.1.0");

        await client.CommandAsync($"RCPT TO:<{recipient}>", expected);
    }

    [Fact]
    public async Task Options_PostmasterAddressThatIsNoAddress_FailTheStart()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:PostmasterAddress"] = "hostmaster" }));

        Assert.Contains("Edge:PostmasterAddress", failure.Message, StringComparison.Ordinal);
    }

    /// <returns>The envelope recipient the edge enqueued.</returns>
    private static async Task<string> SendAsync(EdgeServer edge, string recipient)
    {
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<stranger@example.org>", "250 2.1.0");
        await client.CommandAsync($"RCPT TO:<{recipient}>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("Subject: to the postmaster\r\n\r\nx\r\n.", "250 2.0.0");
        return Assert.Single(Assert.Single(edge.Spool.Committed).Envelope.Recipients).Address;
    }
}
