namespace MtaServerless.Pipeline.Deliver;

/// <summary>Octets of a stored message, counted from its first octet.</summary>
public sealed record ByteRange(long Start, long Length)
{
    public long End => Start + Length;
}
