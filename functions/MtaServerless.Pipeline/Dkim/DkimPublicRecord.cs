using MtaServerless.Core.Dkim;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>The TXT record a domain publishes for a selector (RFC 6376 3.6.2.2, RFC 8463 4.2): where, and what.</summary>
public sealed record DkimPublicRecord(string Name, string Value)
{
    /// <summary>A DNS character-string holds at most 255 octets; a record's strings are joined without separators.</summary>
    public const int MaxStringLength = 255;

    public static DkimPublicRecord For(DkimKeyEntity key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new DkimPublicRecord(
            $"{key.Selector}._domainkey.{key.Domain}",
            $"v=DKIM1; k={DkimAlgorithmNames.KeyType(key.ParsedAlgorithm)}; p={key.PublicKey}");
    }

    /// <summary>The value cut into character-strings, as a zone file or a DNS console takes it.</summary>
    public IReadOnlyList<string> Strings() => Value.Chunk(MaxStringLength).Select(c => new string(c)).ToList();

    /// <summary>One zone-file line: <c>name. IN TXT "…" "…"</c>.</summary>
    public string ZoneFileLine() => $"{Name}. IN TXT {string.Join(' ', Strings().Select(s => $"\"{s}\""))}";

    /// <summary>Reads the tags of a published value (<c>tag=value; …</c>), with folding white space removed (RFC 6376 3.2).</summary>
    public static IReadOnlyDictionary<string, string> Tags(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = tag.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                tags.TryAdd(tag[..equals].Trim(), string.Concat(tag[(equals + 1)..].Where(c => !char.IsWhiteSpace(c))));
            }
        }

        return tags;
    }
}
