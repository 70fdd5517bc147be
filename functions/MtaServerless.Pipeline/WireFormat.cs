using System.Text;
using MimeKit;

namespace MtaServerless.Pipeline;

/// <summary>How MimeKit writes what goes to a next hop or into a blob: CRLF line ends (RFC 5322 2.1) on any platform.</summary>
public static class WireFormat
{
    /// <summary>One instance for every writer: never change it (clone it for other settings).</summary>
    public static FormatOptions Options { get; } = Create();

    /// <summary>Header fields a signer made, as the wire will carry them, to go in front of further fields.</summary>
    public static string Serialize(IEnumerable<Header> fields)
    {
        var headers = new HeaderList();
        foreach (var field in fields)
        {
            headers.Add(field);
        }

        using var bytes = new MemoryStream();
        headers.WriteTo(Options, bytes);
        // A header list ends with the empty line that ends a header section.
        return Encoding.ASCII.GetString(bytes.GetBuffer(), 0, (int)bytes.Length - "\r\n".Length);
    }

    private static FormatOptions Create()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        return format;
    }
}
