using MimeKit;

namespace MtaServerless.Pipeline;

/// <summary>How MimeKit writes what goes to a next hop or into a blob: CRLF line ends (RFC 5322 2.1) on any platform.</summary>
public static class WireFormat
{
    /// <summary>One instance for every writer: never change it (clone it for other settings).</summary>
    public static FormatOptions Options { get; } = Create();

    private static FormatOptions Create()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
