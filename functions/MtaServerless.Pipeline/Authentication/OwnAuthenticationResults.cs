using System.Text;
using MimeKit;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// RFC 8601 5: an <c>Authentication-Results:</c> field that arrives with a message and names our authserv-id is a
/// forgery (only we write that id, and only after the message arrived) and must not reach a reader who trusts it. The
/// stored message is never rewritten, so the fields are found here as ranges of its octets, which Ingest's copy leaves out.
/// Fields of other authserv-ids are kept.
/// </summary>
public static class OwnAuthenticationResults
{
    /// <param name="stored">The stored message's header fields alone, parsed from its first octet, so that each field's offset is an offset of the blob.</param>
    /// <returns>
    /// The ranges of the fields with our authserv-id (compared case-insensitively, as the domain name it is), in order;
    /// fields next to each other make one range.
    /// </returns>
    public static IReadOnlyList<ByteRange> Find(HeaderList stored, string servId)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(servId);
        var ranges = new List<ByteRange>();
        foreach (var field in stored.Where(h => h.Id == HeaderId.AuthenticationResults && h.Offset is not null))
        {
            if (!string.Equals(ServId(field.RawValue), servId, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // The field's octets: its name as written (white space before the colon included), the colon, and the raw
            // value with its folds and its final CRLF.
            var range = new ByteRange(field.Offset!.Value, field.RawField.Length + 1 + field.RawValue.Length);
            if (ranges.Count > 0 && ranges[^1].End == range.Start)
            {
                ranges[^1] = ranges[^1] with { Length = ranges[^1].Length + range.Length };
            }
            else
            {
                ranges.Add(range);
            }
        }

        return ranges;
    }

    /// <summary>The authserv-id a field's value starts with (RFC 8601 2.2: a token or a quoted-string after optional CFWS); null when there is none.</summary>
    private static string? ServId(ReadOnlySpan<byte> value)
    {
        var i = SkipCfws(value, 0);
        if (i >= value.Length)
        {
            return null;
        }

        var id = new StringBuilder();
        if (value[i] == '"')
        {
            for (i++; i < value.Length && value[i] != '"'; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length)
                {
                    i++;
                }

                id.Append((char)value[i]);
            }

            return i < value.Length ? id.ToString() : null;
        }

        for (; i < value.Length && value[i] is not ((byte)';' or (byte)'(' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'); i++)
        {
            id.Append((char)value[i]);
        }

        return id.Length > 0 ? id.ToString() : null;
    }

    /// <summary>Past white space, line breaks and comments, which nest (RFC 5322 3.2.2).</summary>
    private static int SkipCfws(ReadOnlySpan<byte> value, int i)
    {
        var depth = 0;
        for (; i < value.Length; i++)
        {
            var b = value[i];
            if (depth > 0 && b == '\\')
            {
                i++;
            }
            else if (b == '(')
            {
                depth++;
            }
            else if (b == ')' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0 && b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return i;
            }
        }

        return i;
    }
}
