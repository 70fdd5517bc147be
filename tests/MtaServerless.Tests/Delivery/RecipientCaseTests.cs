using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// RFC 5321 2.4: the domain is case-insensitive, the local part is the receiver's to interpret. So
/// <c>Bob@example.com</c> and <c>bob@EXAMPLE.com</c> are two recipients, each with its own RCPT and
/// outcome, compared ordinally as normalized addresses from Ingest to the relay.
/// </summary>
public sealed class RecipientCaseTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Fact]
    public async Task Ingest_LocalPartsDifferingInCaseAndDomainsDifferingInCase_TwoRecipientsNotThree()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);

        await _pipeline.IngestAsync(Smarthost(server), ["Bob@example.com", "bob@example.com", "bob@EXAMPLE.COM"]);

        Assert.Equal(["RCPT TO:<Bob@example.com>", "RCPT TO:<bob@example.com>"], Assert.Single(server.Accepted).RcptLines);
    }

    [Fact]
    public async Task Deliver_RecipientsDifferingInCaseWithNotify_DeliversBothRatherThanFailTheTask()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Dsn = true });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["Bob@example.com", "bob@example.com"], dsn: r => (r.StartsWith('B') ? DsnNotify.Success : DsnNotify.Failure, null));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "Bob@example.com")).Status);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
    }

    [Fact]
    public async Task Deliver_RecipientsDifferingInCase_EachGetsItsOwnRcptAndOutcome()
    {
        var offered = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript
        {
            Rcpt = (recipient, _) =>
            {
                offered.Enqueue(recipient);
                return recipient.StartsWith('b') ? "550 5.1.1 No such user" : "250 2.1.5 Ok";
            },
        });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["Bob@example.com", "bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(["Bob@example.com", "bob@example.com"], offered);
        Assert.Equal(["RCPT TO:<Bob@example.com>"], Assert.Single(server.Accepted).RcptLines);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "Bob@example.com")).Status);
        var refused = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Bounced, "550 5.1.1 No such user"), (refused.Status, refused.LastReply));
    }

    private static Route Smarthost(ScriptedSmtpServer server) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None);
}
