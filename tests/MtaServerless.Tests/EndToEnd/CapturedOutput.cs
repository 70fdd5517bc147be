using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>Everything the runner logged (every category, every level) and exported (log records and spans), as text.</summary>
internal sealed class CapturedOutput : ILoggerProvider
{
    public ConcurrentQueue<string> Texts { get; } = new();

    public ConcurrentQueue<(string Name, IReadOnlyDictionary<string, string> Attributes)> Events { get; } = new();

    public void AddTo(IServiceCollection services)
    {
        services.AddLogging(logging => logging.AddProvider(this));
        services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddProcessor(new SimpleLogRecordExportProcessor(new LogExporter(this))));
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SpanCapture(this)));
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedOutput captured) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            captured.Texts.Enqueue(formatter(state, exception) + exception);
    }

    private sealed class LogExporter(CapturedOutput captured) : BaseExporter<LogRecord>
    {
        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            foreach (var record in batch)
            {
                var attributes = (record.Attributes ?? []).ToDictionary(a => a.Key, a => Convert.ToString(a.Value, CultureInfo.InvariantCulture) ?? string.Empty);
                captured.Texts.Enqueue($"{record.EventId.Name} {record.Body} {string.Join(' ', attributes)} {record.Exception}");
                if (record.EventId.Name is { } name)
                {
                    captured.Events.Enqueue((name, attributes));
                }
            }

            return ExportResult.Success;
        }
    }

    private sealed class SpanCapture(CapturedOutput captured) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) =>
            captured.Texts.Enqueue($"{data.DisplayName} {string.Join(' ', data.TagObjects)} {string.Join(' ', data.Events.Select(e => e.Name + string.Join(' ', e.Tags)))}");
    }
}
