using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Pipeline.Telemetry;

/// <summary>
/// Depth and oldest visible message's age of every queue of the contract, as gauges; a timer function
/// (and the local runner's timer) calls <see cref="MeasureAsync"/>.
/// </summary>
public sealed partial class QueueMetrics : IDisposable
{
    private readonly Meter _meter = new(MtaTelemetry.PipelineMeterName);
    private readonly Gauge<long> _depth;
    private readonly Gauge<double> _oldestAge;
    private readonly MtaStorageClients _storage;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public QueueMetrics(MtaStorageClients storage, TimeProvider time, ILogger<QueueMetrics> logger)
    {
        _storage = storage;
        _time = time;
        _logger = logger;
        _depth = _meter.CreateGauge<long>(TelemetryNames.QueueDepth, unit: "{message}", description: "Messages in the queue, visible or scheduled for a retry.");
        _oldestAge = _meter.CreateGauge<double>(TelemetryNames.QueueOldestAge, unit: "s", description: "Age of the oldest visible message; 0 when none is visible.");
    }

    public async Task<IReadOnlyList<QueueStatistics>> MeasureAsync(CancellationToken cancellationToken)
    {
        var queues = await QueueStatistics.MeasureAsync(_storage, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var queue in queues)
        {
            var tag = new KeyValuePair<string, object?>(TelemetryNames.QueueDimension, queue.Queue);
            _depth.Record(queue.Depth, tag);
            _oldestAge.Record(queue.OldestAge is { } age ? Math.Max(0, age.TotalSeconds) : 0, tag);
        }

        LogMeasured(_logger, queues.Count, queues.Sum(q => (long)q.Depth));
        return queues;
    }

    public void Dispose() => _meter.Dispose();

    [LoggerMessage(EventId = 6020, Level = LogLevel.Debug, Message = "Measured {Queues} queues holding {Messages} messages")]
    private static partial void LogMeasured(ILogger logger, int queues, long messages);
}
