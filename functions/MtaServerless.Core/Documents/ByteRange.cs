using System.Text.Json.Serialization;

namespace MtaServerless.Core.Documents;

/// <summary>Octets of a stored message, counted from its first octet.</summary>
public sealed record ByteRange(long Start, long Length)
{
    [JsonIgnore]
    public long End => Start + Length;
}
