using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// Routing on the whole path: MailKit submits to the edge, the local runner's WebJobs engine runs the
/// functions against Azurite, a real DNS server on loopback answers MX queries, and scripted SMTP
/// servers play the recipients' MX hosts; the sender's domain is a local mailbox route.
/// </summary>
public sealed class RoutingEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);
    private readonly LoopbackDnsServer _dns = new();
    private ScriptedSmtpServer? _mx;
    private IHost? _runner;

    public Task InitializeAsync()
    {
        _dns.Mx("dest.example", 10, "mx.dest.example").Address("mx.dest.example", "127.0.0.2");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_runner is not null)
        {
            await _runner.StopAsync();
            _runner.Dispose();
        }

        if (_mx is not null)
        {
            await _mx.DisposeAsync();
        }

        _dns.Dispose();
    }

    [Fact]
    public async Task Message_MxRoute_IsDeliveredToTheDomainsMxHost()
    {
        await StartAsync(new SmtpScript());

        var id = await SendAsync("bob@dest.example");
        var arrived = await _mx!.WaitForAcceptedAsync(1, ArrivalTimeout);

        Assert.Equal(("alice@example.org", "bob@dest.example"), (arrived.From, Assert.Single(arrived.To)));
        Assert.Equal("relay.test", arrived.Helo);
        var record = await WaitForFinalAsync(id, "bob@dest.example");
        Assert.Equal((DeliveryStatus.Delivered, 1, "mx.dest.example"), (record.Status, record.Attempts, record.RemoteHost));
    }

    [Fact]
    public async Task Message_MxHostDefersFirst_IsDeliveredOnTheRetry()
    {
        await StartAsync(new SmtpScript { Rcpt = (_, seen) => seen == 0 ? "451 4.7.1 Greylisted, try again" : "250 2.1.5 Ok" });

        var id = await SendAsync("bob@dest.example");
        await _mx!.WaitForAcceptedAsync(1, ArrivalTimeout);

        var record = await WaitForFinalAsync(id, "bob@dest.example");
        Assert.Equal((DeliveryStatus.Delivered, 2), (record.Status, record.Attempts));
        Assert.Single(_mx.Accepted);
    }

    [Fact]
    public async Task Message_MxHostRejects_BouncesWithADsnInTheSendersLocalMailbox()
    {
        await StartAsync(new SmtpScript { Rcpt = (_, _) => "550 5.1.1 No such user here" });

        var id = await SendAsync("nobody@dest.example");
        var (name, content) = await WaitForMailboxAsync("example.org/alice/", ArrivalTimeout);

        Assert.Equal(DeliveryStatus.Bounced, (await WaitForFinalAsync(id, "nobody@dest.example")).Status);
        Assert.Equal(0, _mx!.DataAttempts);
        Assert.StartsWith("Return-Path: <>\r\nDelivered-To: alice@example.org\r\nReceived: ", content, StringComparison.Ordinal);
        var dsn = await MimeMessage.LoadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)));
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal(("rfc822; nobody@dest.example", "failed", "5.1.1"), (status["Final-Recipient"], status["Action"], status["Status"]));
        Assert.Equal("smtp; 550 5.1.1 No such user here", status["Diagnostic-Code"]);
        Assert.Equal("bounce test", Assert.IsType<MessagePart>(report[2]).Message!.Subject);
        Assert.DoesNotContain(id, name, StringComparison.Ordinal);
    }

    private async Task StartAsync(SmtpScript script)
    {
        _mx = ScriptedSmtpServer.Start("127.0.0.2", 0, script);
        foreach (var route in new[]
        {
            new Route("dest.example", RouteAction.Mx, Port: _mx.Endpoint.Port, Tls: TlsMode.Opportunistic, AcceptsInbound: true),
            new Route("example.org", RouteAction.Mailbox, AcceptsInbound: true),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        _runner = await InProcessRunner.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["Pipeline:NameServers"] = _dns.Endpoint.ToString() });
    }

    private async Task<string> SendAsync(string recipient)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@example.org"));
        message.To.Add(new MailboxAddress(string.Empty, recipient));
        message.Subject = "bounce test";
        message.Body = new TextPart("plain") { Text = "Hello\r\n" };
        return await InProcessRunner.SubmitAsync(_runner!, message);
    }

    private async Task<DeliveryEntity> WaitForFinalAsync(string id, string recipient)
    {
        using var timeout = new CancellationTokenSource(ArrivalTimeout);
        while (true)
        {
            var record = (await azurite.Storage.Deliveries.GetEntityIfExistsAsync<DeliveryEntity>(id, RecipientKey.Encode(recipient))).Value;
            if (record is { IsFinal: true })
            {
                return record;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    private async Task<(string Name, string Content)> WaitForMailboxAsync(string prefix, TimeSpan timeout)
    {
        var mailboxes = azurite.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            await foreach (var blob in mailboxes.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
            {
                return (blob.Name, (await mailboxes.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString());
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
