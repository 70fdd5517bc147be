namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>
/// The <c>tag=value; …</c> list of a DKIM-Signature or ARC field (RFC 6376 3.2), strictly: a duplicate tag or a tag
/// without a name invalidates the whole list, and folding white space is removed from every value (it may appear
/// anywhere inside base64 and colon-separated lists).
/// </summary>
internal static class DkimTagList
{
    /// <returns>The tags by name (names are case-sensitive), or null with <paramref name="error"/> saying what is wrong.</returns>
    public static IReadOnlyDictionary<string, string>? Parse(string value, out string? error)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var spec in value.Split(';'))
        {
            if (string.IsNullOrWhiteSpace(spec))
            {
                // The list may end with a semicolon; an empty spec elsewhere is as harmless.
                continue;
            }

            var equals = spec.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? spec.Trim() : spec[..equals].Trim();
            if (equals < 0 || name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error = $"tag-list syntax error near '{Truncate(spec.Trim())}'";
                return null;
            }

            if (!tags.TryAdd(name, string.Concat(spec[(equals + 1)..].Where(c => !char.IsWhiteSpace(c)))))
            {
                error = $"duplicate tag {name}=";
                return null;
            }
        }

        error = null;
        return tags;
    }

    private static string Truncate(string text) => text.Length <= 20 ? text : text[..20] + "…";
}
