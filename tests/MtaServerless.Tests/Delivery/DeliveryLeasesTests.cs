using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>The lease transactions on Azurite: all of a task's recipients or none, and a late result never overwrites another run's.</summary>
public sealed class DeliveryLeasesTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly Route Route = new("*", RouteAction.Smarthost, "127.0.0.1", 25, TlsMode.None);

    private static readonly string[] Recipients = ["bob@example.com", "carol@example.com", "dave@example.com"];

    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Fact]
    public async Task Acquire_TwoRunsAtOnce_OneHoldsEveryRecipientAndTheOtherNone()
    {
        // Repeated because the interleaving is up to the scheduler; no interleaving may split the recipients.
        for (var i = 0; i < 10; i++)
        {
            var task = await _pipeline.NewTaskAsync(Route, Recipients);
            var now = DateTimeOffset.UtcNow;

            var runs = await Task.WhenAll(
                Task.Run(() => _pipeline.Leases.AcquireAsync(task, now, CancellationToken.None)),
                Task.Run(() => _pipeline.Leases.AcquireAsync(task, now, CancellationToken.None)));

            var winner = Assert.Single(runs, r => r.Held.Count > 0);
            var loser = Assert.Single(runs, r => r.Held.Count == 0);
            Assert.Equal(Recipients, winner.Held.Select(l => l.Recipient).Order(StringComparer.Ordinal));
            Assert.Empty(winner.Busy);
            Assert.Equal(Recipients, loser.Busy.Order(StringComparer.Ordinal));
            var owners = await Task.WhenAll(Recipients.Select(r => _pipeline.RecordAsync(task.Id, r)));
            Assert.Single(owners.Select(o => o.LeaseOwner).Distinct());
        }
    }

    [Fact]
    public async Task Complete_LeaseExpiredAndTakenByAnotherRun_TheOtherRunsResultStands()
    {
        var task = await _pipeline.NewTaskAsync(Route, Recipients);
        var start = DateTimeOffset.UtcNow;
        var slow = await _pipeline.Leases.AcquireAsync(task, start, CancellationToken.None);
        var later = start.AddHours(1);
        var successor = await _pipeline.Leases.AcquireAsync(task, later, CancellationToken.None);
        Assert.Equal(3, successor.Held.Count);
        Assert.All(successor.Held, l => Assert.Equal(DeliveryStatus.Deferred, l.PreviousStatus));

        var lateWrite = await _pipeline.Leases.CompleteAsync(
            slow.Held.Select(l => new LeaseResult(l, DeliveryStatus.Delivered, DeliveryOutcome.FromReply(250, ["2.0.0 Ok"], "slow.test"))).ToList(), 1, later, slow.HeldUntil);
        var written = await _pipeline.Leases.CompleteAsync(
            [.. successor.Held.Select(l => new LeaseResult(l, DeliveryStatus.Bounced, DeliveryOutcome.FromReply(550, ["5.1.1 No such user"], "next.test")))], 2, later, successor.HeldUntil);

        Assert.Equal((0, 0, 0), (lateWrite.Written.Count, lateWrite.MarkedSent.Count, lateWrite.Unrecorded.Count));
        Assert.Equal(3, written.Written.Count);
        foreach (var recipient in Recipients)
        {
            var record = await _pipeline.RecordAsync(task.Id, recipient);
            Assert.Equal((DeliveryStatus.Bounced, 2, "next.test", null), (record.Status, record.Attempts, record.RemoteHost, record.LeaseOwner));
        }
    }

    [Fact]
    public async Task Complete_OneLeaseOfTheBatchTakenOver_TheOthersAreStillWritten()
    {
        var task = await _pipeline.NewTaskAsync(Route, Recipients);
        var start = DateTimeOffset.UtcNow;
        var run = await _pipeline.Leases.AcquireAsync(task, start, CancellationToken.None);
        var takenOver = await _pipeline.RecordAsync(task.Id, "carol@example.com");
        takenOver.LeaseOwner = "another-run";
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(takenOver, takenOver.ETag);

        var written = await _pipeline.Leases.CompleteAsync(
            run.Held.Select(l => new LeaseResult(l, DeliveryStatus.Delivered, DeliveryOutcome.FromReply(250, ["2.0.0 Ok"], "hop.test"))).ToList(), 1, start, run.HeldUntil);

        Assert.Equal(["bob@example.com", "dave@example.com"], written.Written.Select(r => r.Recipient).Order(StringComparer.Ordinal));
        Assert.Equal("another-run", (await _pipeline.RecordAsync(task.Id, "carol@example.com")).LeaseOwner);
    }

    [Fact]
    public async Task Complete_TaskWithAnEarlierAttemptNumber_NeverTakesTheCountBackwards()
    {
        var task = await _pipeline.NewTaskAsync(Route, ["bob@example.com"]);
        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        (record.Status, record.Attempts) = (DeliveryStatus.Deferred, 3);
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag);
        var run = await _pipeline.Leases.AcquireAsync(task, DateTimeOffset.UtcNow, CancellationToken.None);

        await _pipeline.Leases.CompleteAsync([new LeaseResult(Assert.Single(run.Held), DeliveryStatus.Deferred, DeliveryOutcome.FromReply(451, ["4.2.1 Try later"], "hop.test"))], 1, DateTimeOffset.UtcNow, run.HeldUntil);

        Assert.Equal(3, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Attempts);
    }

    [Fact]
    public async Task Release_GivesEveryRecipientBackInItsEarlierState()
    {
        var task = await _pipeline.NewTaskAsync(Route, Recipients);
        var run = await _pipeline.Leases.AcquireAsync(task, DateTimeOffset.UtcNow, CancellationToken.None);

        await _pipeline.Leases.ReleaseAsync(run.Held, CancellationToken.None);

        var again = await _pipeline.Leases.AcquireAsync(task, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(3, again.Held.Count);
        Assert.All(again.Held, l => Assert.Equal(DeliveryStatus.Queued, l.PreviousStatus));
    }
}
