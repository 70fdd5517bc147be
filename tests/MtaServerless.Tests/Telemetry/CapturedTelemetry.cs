using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MtaServerless.Tests.Telemetry;

/// <summary>One exported log record's exception, category and trace flags, copied at export: the SDK reuses its records afterwards.</summary>
internal sealed record CapturedLog(string? Exception, Type? ExceptionType, string? Category, ActivityTraceFlags TraceFlags);

/// <summary>An in-memory exporter for a host's log records, added after the host's own processors.</summary>
internal sealed class CapturedTelemetry
{
    public ConcurrentQueue<CapturedLog> Logs { get; } = new();

    public void AddTo(IServiceCollection services) =>
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new LogExporter(Logs))));

    private sealed class LogExporter(ConcurrentQueue<CapturedLog> logs) : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                logs.Enqueue(new CapturedLog(record.Exception?.ToString(), record.Exception?.GetType(), record.CategoryName, record.TraceFlags));
            }

            return ExportResult.Success;
        }
    }
}
