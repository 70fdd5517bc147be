using System.Text;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Replies only a scripted next hop gives on demand: a refusal of the message followed by a hang-up,
/// bytes that are not an SMTP reply, a sender refused while RCPTs are pipelined; and what the relay
/// passes on of the client's MAIL parameters. Every one ends as an outcome per recipient, never as an exception.
/// </summary>
public sealed class NextHopReplyTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Recipient = "bob@example.com";

    private PipelineHarness _pipeline = null!;
    private ScriptedSmtpServer? _server;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_MessageRefusedWith5xxThenTheHopHangsUp_BouncesWithTheHopsReply()
    {
        var route = Start(new SmtpScript { Data = _ => "554 5.7.1 Message refused as spam", CloseAfterDataReply = true });
        var task = await _pipeline.NewTaskAsync(route, [Recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal((DeliveryStatus.Bounced, "554 5.7.1 Message refused as spam", true), (record.Status, record.LastReply, record.ReplyFromHost));
        Assert.Single(await _pipeline.DsnsAsync());
    }

    [Theory]
    [InlineData("this is not an SMTP reply")]
    [InlineData("250-5.0.0 first line of one code\r\n451 second line of another")]
    [InlineData("299")]
    public async Task Deliver_HopAnswersWithWhatIsNotAReply_DefersTheRecipientWithoutFailingTheRun(string garbage)
    {
        var route = Start(new SmtpScript { Data = _ => garbage });
        var task = await _pipeline.NewTaskAsync(route, [Recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, Recipient);
        Assert.Equal((DeliveryStatus.Deferred, "451 4.4.2 Connection to the next hop was lost"), (record.Status, record.LastReply));
        Assert.Equal(1, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Deliver_SenderRefusedWhileRcptsArePipelined_TheMailReplyDecidesEveryRecipient()
    {
        var route = Start(new SmtpScript { Mail = _ => "553 5.7.1 Sender address not allowed" });
        var task = await _pipeline.NewTaskAsync(route, [Recipient, "carol@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        foreach (var recipient in task.Recipients)
        {
            Assert.Equal("553 5.7.1 Sender address not allowed", (await _pipeline.RecordAsync(task.Id, recipient)).LastReply);
        }
    }

    [Fact]
    public async Task Deliver_BodyFromTheEdgeAndTheExactSize_ArePassedToTheNextHop()
    {
        var route = Start(new SmtpScript());
        var stored = "Subject: declared 8-bit, all ASCII\r\n\r\nbody\r\n";
        var task = await _pipeline.NewTaskAsync(route, [Recipient], stored: stored, body: "8BITMIME");

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var mail = await _server!.WaitForAcceptedAsync(1, TimeSpan.FromSeconds(10));
        var size = Encoding.UTF8.GetByteCount(task.Headers) + Encoding.UTF8.GetByteCount(stored);
        Assert.Equal($"MAIL FROM:<{PipelineHarness.Sender}> SIZE={size} BODY=8BITMIME", mail.MailFromLine);
    }

    private Route Start(SmtpScript script)
    {
        _server = ScriptedSmtpServer.Start("127.0.0.1", 0, script);
        return new Route("*", RouteAction.Smarthost, "127.0.0.1", _server.Endpoint.Port, TlsMode.None);
    }
}
