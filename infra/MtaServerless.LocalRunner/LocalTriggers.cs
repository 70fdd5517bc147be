using Microsoft.Azure.WebJobs;
using MtaServerless.Core.Storage;
using MtaServerless.Functions;

namespace MtaServerless.LocalRunner;

/// <summary>
/// The WebJobs SDK's view of the Functions app: the same names, queues and connection, each
/// handing the payload to the isolated worker's function class. No mail logic lives here.
/// </summary>
public sealed class LocalTriggers(IngestFunction ingest, DeliverFunction deliver, QueueMetricsFunction queueMetrics, SweeperFunction sweeper)
{
    [FunctionName(FunctionNames.Ingest)]
    public Task IngestAsync(
        [QueueTrigger(StorageNames.InboundQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        ingest.RunAsync(message, cancellationToken);

    [FunctionName(FunctionNames.Deliver)]
    public Task DeliverAsync(
        [QueueTrigger(StorageNames.DeliveryQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        deliver.RunAsync(message, cancellationToken);

    [FunctionName(FunctionNames.QueueMetrics)]
    public Task QueueMetricsAsync(
        [TimerTrigger(FunctionNames.QueueMetricsSchedule)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        queueMetrics.RunAsync(new Microsoft.Azure.Functions.Worker.TimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);

    [FunctionName(FunctionNames.Sweeper)]
    public Task SweeperAsync(
        [TimerTrigger(FunctionNames.SweeperSchedule)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        sweeper.RunAsync(new Microsoft.Azure.Functions.Worker.TimerInfo { IsPastDue = timer.IsPastDue }, cancellationToken);
}
