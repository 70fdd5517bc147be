using System.Buffers;
using System.Text;

namespace MtaServerless.Edge.Protocol;

internal static class AsciiSequence
{
    public static bool EqualsIgnoreCase(ReadOnlySequence<byte> value, ReadOnlySpan<byte> expected)
    {
        if (value.Length != expected.Length)
        {
            return false;
        }

        if (value.IsSingleSegment)
        {
            return Ascii.EqualsIgnoreCase(value.FirstSpan, expected);
        }

        // Only short keywords are compared, so the copy stays on the stack.
        Span<byte> copy = stackalloc byte[expected.Length];
        value.CopyTo(copy);
        return Ascii.EqualsIgnoreCase(copy, expected);
    }

    /// <summary>True when every byte is visible US-ASCII (%d33-126): what a keyword, a parameter value or a client name may hold.</summary>
    public static bool IsVisible(ReadOnlySequence<byte> value) => IsInRange(value, 0x21, 0x7e);

    public static bool StartsWith(ReadOnlySequence<byte> value, byte first) =>
        new SequenceReader<byte>(value).TryPeek(out var b) && b == first;

    public static string GetString(ReadOnlySequence<byte> value) => Encoding.ASCII.GetString(value);

    public static bool IsInRange(ReadOnlySequence<byte> value, byte lowInclusive, byte highInclusive)
    {
        foreach (var segment in value)
        {
            if (segment.Span.IndexOfAnyExceptInRange(lowInclusive, highInclusive) >= 0)
            {
                return false;
            }
        }

        return true;
    }
}
