using System.Text;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>
/// A header field we write, folded (RFC 5322 2.2.3) at the white space between its tokens so that no line exceeds 78
/// characters where a token allows it; a group of tokens can be made to start a line of its own.
/// </summary>
public static class FoldedField
{
    public const int PreferredLineLength = 78;

    /// <param name="fieldName">The name with its colon.</param>
    /// <param name="lines">Groups of tokens; each group after the first starts a continuation line.</param>
    /// <returns>The whole field, CRLF-terminated.</returns>
    public static string Fold(string fieldName, IEnumerable<IReadOnlyList<string>> lines)
    {
        ArgumentNullException.ThrowIfNull(fieldName);
        ArgumentNullException.ThrowIfNull(lines);
        var header = new StringBuilder(fieldName);
        var lineLength = fieldName.Length;
        var first = true;
        foreach (var tokens in lines)
        {
            var startLine = !first;
            first = false;
            foreach (var token in tokens)
            {
                if (startLine || (lineLength + 1 + token.Length > PreferredLineLength && lineLength > fieldName.Length))
                {
                    header.Append("\r\n\t");
                    lineLength = 1;
                    startLine = false;
                }
                else
                {
                    header.Append(' ');
                    lineLength++;
                }

                header.Append(token);
                lineLength += token.Length;
            }
        }

        return header.Append("\r\n").ToString();
    }
}
