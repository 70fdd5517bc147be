using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// A real Postfix as the next hop (a smarthost route to its smtpd on loopback), in the ways ordinary MTAs
/// behave: it refuses a sender at MAIL while the RCPTs are pipelined, leaves 8BITMIME or SMTPUTF8 out of
/// its EHLO, offers a STARTTLS that cannot work, and takes DSN requests.
/// </summary>
public sealed class PostfixNextHopTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    private PipelineHarness _pipeline = null!;
    private PostfixNextHop? _postfix;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync()
    {
        if (_postfix is not null)
        {
            await _postfix.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_SenderRefusedWith450AtMailWhilePipelining_EveryRecipientDeferredByTheMailReply()
    {
        var postfix = await StartAsync(new PostfixSettings
        {
            // What reject_unknown_sender_domain answers, without the DNS lookup that would leave loopback.
            SenderReplies = new Dictionary<string, string> { ["unknown-sender.example"] = "450 4.1.8 Domain not found" },
        });
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [$"bob@{PostfixNextHop.Domain}", $"carol@{PostfixNextHop.Domain}"], mailFrom: "alice@unknown-sender.example");

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        foreach (var recipient in task.Recipients)
        {
            var record = await _pipeline.RecordAsync(task.Id, recipient);
            Assert.Equal(DeliveryStatus.Deferred, record.Status);
            Assert.Equal("450 4.1.8 <alice@unknown-sender.example>: Sender address rejected: Domain not found", record.LastReply);
            Assert.True(record.ReplyFromHost);
        }

        Assert.Empty(await _pipeline.DsnsAsync());
        Assert.Equal(1, await _pipeline.QueuedTaskCountAsync());
    }

    private async Task<PostfixNextHop> StartAsync(PostfixSettings settings) => _postfix = await PostfixNextHop.StartAsync(settings);

    private static Route Smarthost(PostfixNextHop postfix, TlsMode tls = TlsMode.None) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", postfix.Port, tls);
}
