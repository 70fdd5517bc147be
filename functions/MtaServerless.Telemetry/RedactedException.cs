namespace MtaServerless.Telemetry;

/// <summary>
/// Stands in, in exported logs, for an exception whose text holds mail addresses (a next hop's reply that
/// echoes the recipient, say): its message and its full text, inner exceptions and stack traces included,
/// with every address protected. Exporters report this type; the original's opens the message and the text.
/// </summary>
internal sealed class RedactedException(Exception original, Func<string, string> redact)
    : Exception($"{original.GetType().FullName}: {redact(original.Message)}")
{
    private readonly string _text = redact(original.ToString());

    public override string? StackTrace { get; } = original.StackTrace;

    public override string ToString() => _text;
}
