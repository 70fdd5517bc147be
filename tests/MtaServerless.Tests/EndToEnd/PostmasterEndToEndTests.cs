using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// Mail to postmaster, from an outside client through the edge, Ingest and Deliver on the local runner: the bare
/// &lt;Postmaster&gt; and postmaster@ a mailbox domain without any users row land in the mailbox Edge:PostmasterAddress names.
/// </summary>
public sealed class PostmasterEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Postmaster_BareAndOfAMailboxDomain_ArriveInTheConfiguredMailbox()
    {
        foreach (var route in new[] { new Route("example.org", RouteAction.Mailbox, AcceptsInbound: true), new Route("mail.test", RouteAction.Mailbox, AcceptsInbound: true) })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        using var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["Edge:PostmasterAddress"] = "hostmaster@example.org" });
        await using (var client = await SmtpWireClient.ConnectAsync(runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0]))
        {
            await client.GreetAsync();
            foreach (var recipient in new[] { "Postmaster", "postmaster@mail.test" })
            {
                await client.CommandAsync("MAIL FROM:<stranger@outside.example>", "250 2.1.0");
                await client.CommandAsync($"RCPT TO:<{recipient}>", "250 2.1.5");
                await client.CommandAsync("DATA", "354");
                await client.CommandAsync($"Subject: for {recipient}\r\n\r\nHello.\r\n.", "250 2.0.0");
            }
        }

        var delivered = await WaitForMailboxAsync("example.org/hostmaster/", 2);
        await runner.StopAsync();

        Assert.All(delivered, content => Assert.StartsWith("Return-Path: <stranger@outside.example>\r\nDelivered-To: hostmaster@example.org\r\n", content, StringComparison.Ordinal));
        Assert.Contains(delivered, c => c.Contains("Subject: for Postmaster", StringComparison.Ordinal));
        Assert.Contains(delivered, c => c.Contains("Subject: for postmaster@mail.test", StringComparison.Ordinal));
    }

    private async Task<List<string>> WaitForMailboxAsync(string prefix, int count)
    {
        var mailboxes = azurite.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        using var deadline = new CancellationTokenSource(ArrivalTimeout);
        while (true)
        {
            var found = new List<string>();
            await foreach (var blob in mailboxes.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, deadline.Token))
            {
                found.Add((await mailboxes.GetBlobClient(blob.Name).DownloadContentAsync(deadline.Token)).Value.Content.ToString());
            }

            if (found.Count >= count)
            {
                return found;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
