using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>What a next hop says can never make the result write fail: stored replies are bounded.</summary>
public sealed class ResultRecordingTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Fact]
    public async Task Deliver_NextHopAcceptsWithAReplyLongerThanATableProperty_RecordsItCutAndSendsOnce()
    {
        // 100 lines of 400 characters: more than the 32K characters a table property holds.
        var reply = string.Join("\r\n", Enumerable.Range(0, 100).Select(i => $"250-{i:D3}{new string('x', 400)}").Append("250 2.0.0 Ok"));
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = _ => reply });
        var task = await _pipeline.NewTaskAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None), ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal(DeliveryStatus.Delivered, record.Status);
        Assert.Equal(DeliveryOutcome.MaxTextLength, record.GetOutcome()!.Text.Length);
        Assert.StartsWith("250 2.0.0 000x", record.LastReply, StringComparison.Ordinal);
        Assert.EndsWith("...", record.LastReply, StringComparison.Ordinal);
        Assert.Equal(1, server.DataAttempts);
    }
}
