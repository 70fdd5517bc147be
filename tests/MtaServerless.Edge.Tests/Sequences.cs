using System.Buffers;
using System.Text;

namespace MtaServerless.Edge.Tests;

/// <summary>Builds read buffers the way a pipe hands them over, including split across segments.</summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> Ascii(string text) => new(Encoding.ASCII.GetBytes(text));

    /// <summary>One segment per byte: the worst case for code that assumes contiguous memory.</summary>
    public static ReadOnlySequence<byte> Fragmented(string text) => Fragmented(Encoding.ASCII.GetBytes(text));

    public static ReadOnlySequence<byte> Fragmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    public static string Text(ReadOnlySequence<byte> bytes) => Encoding.ASCII.GetString(bytes);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
