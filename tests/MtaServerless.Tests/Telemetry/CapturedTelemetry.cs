using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.Telemetry;

/// <summary>One exported log record, copied at export: the SDK reuses its records afterwards.</summary>
internal sealed record CapturedLog(string? Category, string? EventName, IReadOnlyDictionary<string, string?> Attributes, string? Message, string? Body, string? Exception, Type? ExceptionType = null)
{
    public string? this[string key] => Attributes.GetValueOrDefault(key);
}

/// <summary>In-memory exporters for every signal of a host, added after the host's own processors.</summary>
internal sealed class CapturedTelemetry
{
    public ConcurrentQueue<Activity> Spans { get; } = new();

    public ConcurrentQueue<CapturedLog> Logs { get; } = new();

    /// <summary>Filled by the meter provider's reader: read it only after a flush.</summary>
    public List<MetricSnapshot> Metrics { get; } = [];

    public void AddTo(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(new SpanExporter(Spans))));
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new LogExporter(Logs))));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(Metrics));
    }

    /// <summary>Everything exported, as text: span names, tags, events and links; log messages, bodies, attributes and exceptions; metric names and tags.</summary>
    public string Serialize()
    {
        var text = new StringBuilder();
        foreach (var span in Spans)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{span.DisplayName} {span.StatusDescription}");
            foreach (var (key, value) in span.TagObjects)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
            }

            foreach (var activityEvent in span.Events)
            {
                text.AppendLine(activityEvent.Name);
                foreach (var (key, value) in activityEvent.Tags)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
                }
            }

            foreach (var (key, value) in span.Baggage)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
            }
        }

        foreach (var log in Logs)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{log.Category} {log.EventName} {log.Message} {log.Body} {log.Exception}");
            foreach (var (key, value) in log.Attributes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{key}={value}");
            }
        }

        foreach (var metric in Metrics)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{metric.Name} {metric.Description} {metric.Unit}");
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"{tag.Key}={tag.Value}");
                }
            }
        }

        return text.ToString();
    }

    private sealed class SpanExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var span in batch)
            {
                spans.Enqueue(span);
            }

            return ExportResult.Success;
        }
    }

    private sealed class LogExporter(ConcurrentQueue<CapturedLog> logs) : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                var attributes = (record.Attributes ?? []).ToDictionary(a => a.Key, a => Convert.ToString(a.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
                record.ForEachScope((scope, state) =>
                {
                    foreach (var (key, value) in scope)
                    {
                        state[$"scope.{key}"] = Convert.ToString(value, CultureInfo.InvariantCulture);
                    }
                }, attributes);
                logs.Enqueue(new CapturedLog(record.CategoryName, record.EventId.Name, attributes, record.FormattedMessage, record.Body, record.Exception?.ToString(), record.Exception?.GetType()));
            }

            return ExportResult.Success;
        }
    }
}
