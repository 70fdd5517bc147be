using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>Deliver reads the routes table at every attempt: an edit between two attempts decides the second.</summary>
public sealed class RouteAtEveryAttemptTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Recipient = "bob@example.net";
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(15);
    private PipelineHarness _pipeline = null!;
    private ScriptedSmtpServer _deferring = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite);
        _deferring = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Rcpt = (_, _) => "451 4.4.0 Relay host is a typo" });
    }

    public async Task DisposeAsync()
    {
        await _deferring.DisposeAsync();
        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_SmarthostFixedBetweenAttempts_TheRetryGoesToTheNewHost()
    {
        await using var fixedHost = ScriptedSmtpServer.Start("127.0.0.1", 0);
        var retry = await DeferredAsync();
        await _pipeline.UseRouteAsync(new Route("example.net", RouteAction.Smarthost, "127.0.0.1", fixedHost.Endpoint.Port, TlsMode.None));

        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(retry.Id, Recipient)).Status);
        Assert.Equal([Recipient], Assert.Single(fixedHost.Accepted).To);
        Assert.Equal(1, _deferring.Connections);
    }

    [Fact]
    public async Task Deliver_DomainSwitchedToRejectBetweenAttempts_BouncesWithTheRouteText()
    {
        var retry = await DeferredAsync();
        await _pipeline.UseRouteAsync(new Route("example.net", RouteAction.Reject, RejectText: "Domain retired"));

        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        var record = await _pipeline.RecordAsync(retry.Id, Recipient);
        Assert.Equal((DeliveryStatus.Bounced, "550 5.7.1 Domain retired"), (record.Status, record.LastReply));
        Assert.Equal(1, _deferring.Connections);
        Assert.Single(await _pipeline.DsnsAsync());
    }

    [Fact]
    public async Task Deliver_DomainSwitchedToMailboxBetweenAttempts_DeliversToTheLocalMailbox()
    {
        var retry = await DeferredAsync();
        await _pipeline.UseRouteAsync(new Route("example.net", RouteAction.Mailbox));

        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(retry.Id, Recipient)).Status);
        var mailboxes = _pipeline.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        Assert.True(await mailboxes.GetBlobClient(MailboxDelivery.BlobName(Recipient, retry.Id, retry.FirstAttemptAt)).ExistsAsync());
    }

    [Fact]
    public async Task Deliver_RouteRemovedBetweenAttempts_BouncesForWantOfARoute()
    {
        var retry = await DeferredAsync();
        await _pipeline.UseRouteAsync();

        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        var record = await _pipeline.RecordAsync(retry.Id, Recipient);
        Assert.Equal((DeliveryStatus.Bounced, LocalOutcomes.NoRoute.ToString()), (record.Status, record.LastReply));
    }

    /// <summary>The first attempt, through a smarthost route that defers; returns the retry it scheduled.</summary>
    private async Task<DeliveryTask> DeferredAsync()
    {
        var task = await _pipeline.NewTaskAsync(new Route("example.net", RouteAction.Smarthost, "127.0.0.1", _deferring.Endpoint.Port, TlsMode.None), [Recipient]);
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Deferred, (await _pipeline.RecordAsync(task.Id, Recipient)).Status);
        return await _pipeline.NextTaskAsync(RetryWait);
    }
}
