using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace MtaServerless.Telemetry;

/// <summary>
/// Shows every mail address in an exported log record (its attributes, formatted message and exception) as the
/// recipient setting allows. Logs carry recipients (a record that changed concurrently, a mailbox that
/// already had the copy) and remote replies that echo them; the events protect theirs at the source,
/// and protecting a protected address changes nothing.
/// </summary>
internal sealed partial class AddressRedactionProcessor(IOptions<TelemetryOptions> options, RecipientAddressProtector addresses) : BaseProcessor<LogRecord>
{
    private readonly bool _clear = options.Value.RecipientAddresses == RecipientAddressMode.Clear;

    public override void OnEnd(LogRecord data)
    {
        if (_clear)
        {
            return;
        }

        if (data.Attributes is { Count: > 0 } attributes && attributes.Any(a => a.Value is string text && text.Contains('@', StringComparison.Ordinal)))
        {
            data.Attributes = [.. attributes.Select(a => a.Value is string text ? new KeyValuePair<string, object?>(a.Key, Redact(text)) : a)];
        }

        if (data.FormattedMessage is { } message)
        {
            data.FormattedMessage = Redact(message);
        }

        if (data.Exception is { } exception and not RedactedException && exception.ToString() is var text && Address().IsMatch(text))
        {
            data.Exception = new RedactedException(exception, Redact(exception.Message), Redact(text));
        }
    }

    private string Redact(string text) =>
        text.Contains('@', StringComparison.Ordinal) ? Address().Replace(text, m => addresses.Protect(m.Value)) : text;

    // Local part and domain as they appear in replies and logs; angle brackets, spaces, quotes and separators end them.
    [GeneratedRegex(@"[^\s<>()\[\],;:""'@]+@[^\s<>()\[\],;:""'@]+")]
    private static partial Regex Address();
}
