using Microsoft.Azure.Functions.Worker;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Functions;

public sealed class QueueMetricsFunction(QueueMetrics metrics)
{
    [Function(FunctionNames.QueueMetrics)]
    public Task RunAsync(
        [TimerTrigger(FunctionNames.QueueMetricsSchedule)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        metrics.MeasureAsync(cancellationToken);
}
