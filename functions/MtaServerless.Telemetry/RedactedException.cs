namespace MtaServerless.Telemetry;

/// <summary>
/// Stands in, in exported logs, for an exception whose text holds mail addresses (a next hop's reply that
/// echoes the recipient, say): its message and its full text, inner exceptions and stack traces included,
/// with every address protected. Exporters report this type; the original's opens the message and the text.
/// </summary>
/// <param name="message">The original's message, redacted.</param>
/// <param name="text">The original's <see cref="Exception.ToString"/>, redacted.</param>
internal sealed class RedactedException(Exception original, string message, string text)
    : Exception($"{original.GetType().FullName}: {message}")
{
    public override string? StackTrace { get; } = original.StackTrace;

    public override string ToString() => text;
}
