using Azure.Data.Tables;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// A DSN a crashed run owed (the recipient is recorded bounced, the DSN not yet spooled) is sent by
/// the next run. When two runs come at once (after a crash both the task and the message come back
/// together), only one of them may send it.
/// </summary>
public sealed class OwedDsnTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Fact(Skip = "Known bug (issue 7 note): two runs that find the same owed DSN both send it; the crash soak shows it after restarts")]
    public async Task Deliver_TwoRunsFindTheSameOwedDsn_OneDsnIsSent()
    {
        var task = await _pipeline.NewTaskAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", 25, TlsMode.None), ["bob@example.com"]);
        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        (record.Status, record.LastReply, record.DsnPending) = (DeliveryStatus.Bounced, "550 5.1.1 No such user here", true);
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag, TableUpdateMode.Replace);

        await Task.WhenAll(_pipeline.Deliver.RunAsync(task, CancellationToken.None), _pipeline.Deliver.RunAsync(task, CancellationToken.None));

        Assert.Single(await _pipeline.DsnsAsync());
        Assert.False((await _pipeline.RecordAsync(task.Id, "bob@example.com")).DsnPending);
    }
}
