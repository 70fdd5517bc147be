using System.Text;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Tests;

public sealed class DotUnstufferTests
{
    public static TheoryData<string, string, string, bool> Streams => new()
    {
        // input, message, bytes left after the end of data, bare CR/LF seen
        { ".\r\n", "", "", false },
        { ".\r\nQUIT\r\n", "", "QUIT\r\n", false },
        { "Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", "", false },
        { "..leading\r\n...\r\n.x\r\n.\r\nNOOP\r\n", ".leading\r\n..\r\nx\r\n", "NOOP\r\n", false },
        { "a.\r\n.b\r\n\r\n.\r\n", "a.\r\nb\r\n\r\n", "", false },
        { "line\n.\r\nmore\r\n.\r\n", "line\n.\r\nmore\r\n", "", true },
        { "line\r.\r\nmore\r\n.\r\n", "line\r.\r\nmore\r\n", "", true },
        { "a\r\n.\rb\r\n.\r\n", "a\r\nb\r\n", "", true },
        { "a\r\r\n.\r\n", "a\r\r\n", "", true },
        { "no end\r\n", "no end\r\n", null!, false },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void Process_WholeInput_UnstuffsAndFindsTheEnd(string input, string message, string? rest, bool bare)
    {
        var result = Run(Encoding.ASCII.GetBytes(input), [input.Length]);

        Assert.Equal((message, rest, bare), result);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Process_ByteByByte_GivesTheSameResult(string input, string message, string? rest, bool bare)
    {
        var result = Run(Encoding.ASCII.GetBytes(input), Enumerable.Repeat(1, input.Length));

        Assert.Equal((message, rest, bare), result);
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Process_SplitAtEveryPosition_GivesTheSameResult(string input, string message, string? rest, bool bare)
    {
        for (var split = 0; split <= input.Length; split++)
        {
            var result = Run(Encoding.ASCII.GetBytes(input), [split, input.Length - split]);

            Assert.Equal((message, rest, bare), result);
        }
    }

    /// <returns>The message, what follows the end of data (null if no end was found), and whether a bare CR/LF was seen.</returns>
    private static (string Message, string? Remainder, bool Bare) Run(byte[] input, IEnumerable<int> chunkLengths)
    {
        var unstuffer = new DotUnstuffer();
        var message = new List<byte>();
        var offset = 0;
        foreach (var length in chunkLengths)
        {
            var chunk = input.AsSpan(offset, length);
            var output = new byte[chunk.Length];
            var complete = unstuffer.Process(chunk, output, out var consumed, out var written);
            message.AddRange(output.AsSpan(0, written));
            offset += consumed;
            if (complete)
            {
                return (Encoding.ASCII.GetString([.. message]), Encoding.ASCII.GetString(input, offset, input.Length - offset), unstuffer.SawBareLineBreak);
            }

            Assert.Equal(length, consumed);
        }

        return (Encoding.ASCII.GetString([.. message]), null, unstuffer.SawBareLineBreak);
    }
}
