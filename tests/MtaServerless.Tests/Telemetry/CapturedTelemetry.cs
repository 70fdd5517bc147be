using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MtaServerless.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MtaServerless.Tests.Telemetry;

/// <summary>One exported log record's exception, category and trace flags, copied at export: the SDK reuses its records afterwards.</summary>
internal sealed record CapturedLog(string? Exception, Type? ExceptionType, string? Category, ActivityTraceFlags TraceFlags);

/// <summary>An in-memory exporter for a host's log records, added after the host's own processors.</summary>
internal static class CapturedTelemetry
{
    /// <summary>What the telemetry registration of <paramref name="settings"/> exports of the logs <paramref name="write"/> writes.</summary>
    public static List<CapturedLog> Logs(IReadOnlyDictionary<string, string?> settings, Action<ILoggerFactory> write)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMtaOpenTelemetry(configuration, "mta-test");
        var logs = new ConcurrentQueue<CapturedLog>();
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new LogExporter(logs))));
        using (var provider = services.BuildServiceProvider())
        {
            write(provider.GetRequiredService<ILoggerFactory>());
        }

        return [.. logs];
    }

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
