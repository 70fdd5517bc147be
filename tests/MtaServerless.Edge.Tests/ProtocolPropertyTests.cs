using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MtaServerless.Edge.Protocol;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// Property tests over the byte-level readers: random bytes biased towards the ones that matter (CR, LF,
/// dot, NUL, broken UTF-8), cut at every position. Nothing throws, the result never depends on where
/// the input was cut, and what is held back stays bounded.
/// </summary>
public sealed class ProtocolPropertyTests
{
    [FuzzProperty(300, Arbitrary = [typeof(SmtpBytes)])]
    public void CommandParser_AnyLine_NeverThrowsAndAgreesAcrossSegments(byte[] line)
    {
        var whole = SmtpCommandParser.TryParse(new ReadOnlySequence<byte>(line), out var command, out var rejection);
        var fragmented = SmtpCommandParser.TryParse(Sequences.Fragmented(line), out var fromFragments, out var fragmentRejection);

        Assert.Equal(whole, fragmented);
        if (whole)
        {
            Assert.True(Enum.IsDefined(command.Verb));
            Assert.Equal(command.Verb, fromFragments.Verb);
            Assert.Equal(command.Argument.ToArray(), fromFragments.Argument.ToArray());
        }
        else
        {
            Assert.Equal(rejection, fragmentRejection);
        }
    }

    [FuzzProperty(150, Arbitrary = [typeof(SmtpBytes)])]
    public void LineReader_AnySplit_YieldsTheSameLinesAndHoldsBackLessThanOneLine(byte[] input)
    {
        var expected = ReadLines([input]);
        for (var split = 0; split <= input.Length; split++)
        {
            Assert.Equal(expected, ReadLines([input[..split], input[split..]]));
        }
    }

    [FuzzProperty(150, Arbitrary = [typeof(SmtpBytes)])]
    public void DotUnstuffer_AnySplit_FindsTheSameEndAndOutput(byte[] input)
    {
        var expected = Unstuff([input]);
        for (var split = 0; split <= input.Length; split++)
        {
            Assert.Equal(expected, Unstuff([input[..split], input[split..]]));
        }

        Assert.True(expected.Output.Length / 2 <= input.Length);
    }

    [FuzzProperty(150, Arbitrary = [typeof(SmtpBytes)])]
    public void BodyInspector_AnySplit_FindsTheSameFault(byte[] input)
    {
        var expected = Inspect([input]);
        for (var split = 0; split <= input.Length; split++)
        {
            Assert.Equal(expected, Inspect([input[..split], input[split..]]));
        }

        var hasBareBreak = Encoding.Latin1.GetString(input).Replace("\r\n", string.Empty, StringComparison.Ordinal).IndexOfAny(['\r', '\n']) >= 0;
        Assert.Equal(hasBareBreak, expected == BodyFault.BareLineBreak);
    }

    [Fact]
    public void LineReader_EndlessLine_HoldsBackAtMostOneCommandLine()
    {
        var reader = default(SmtpLineReader);
        var noise = Enumerable.Repeat((byte)'x', 4096).ToArray();
        var pending = ReadOnlySequence<byte>.Empty;
        var tooLong = 0;
        for (var i = 0; i < 100; i++)
        {
            var buffer = Concat(pending, noise);
            while (true)
            {
                var status = reader.Read(ref buffer, out _);
                if (status == LineStatus.NeedMore)
                {
                    break;
                }

                tooLong += status == LineStatus.TooLong ? 1 : 0;
            }

            pending = buffer;
            Assert.True(pending.Length < SmtpLineReader.MaxLineLength);
        }

        Assert.Equal(1, tooLong);
    }

    private static List<string> ReadLines(byte[][] reads)
    {
        var reader = default(SmtpLineReader);
        var lines = new List<string>();
        var pending = ReadOnlySequence<byte>.Empty;
        foreach (var read in reads)
        {
            var buffer = Concat(pending, read);
            while (true)
            {
                var status = reader.Read(ref buffer, out var line);
                if (status == LineStatus.NeedMore)
                {
                    break;
                }

                lines.Add(status == LineStatus.Line ? "L:" + Convert.ToHexString(line.ToArray()) : "TooLong");
            }

            pending = buffer;
            Assert.True(pending.Length < SmtpLineReader.MaxLineLength + read.Length);
        }

        return lines;
    }

    private static (bool Complete, int Consumed, string Output) Unstuff(byte[][] reads)
    {
        var unstuffer = default(DotUnstuffer);
        var output = new List<byte>();
        var consumedTotal = 0;
        foreach (var read in reads)
        {
            var buffer = new byte[read.Length];
            var complete = unstuffer.Process(read, buffer, out var consumed, out var written);
            output.AddRange(buffer.AsSpan(0, written));
            consumedTotal += consumed;
            if (complete)
            {
                return (true, consumedTotal, Convert.ToHexString([.. output]));
            }
        }

        return (false, consumedTotal, Convert.ToHexString([.. output]));
    }

    private static BodyFault Inspect(byte[][] reads)
    {
        var inspector = new BodyInspector(maxSize: long.MaxValue);
        foreach (var read in reads)
        {
            inspector.Inspect(read);
        }

        inspector.Finish();
        return inspector.Fault;
    }

    private static ReadOnlySequence<byte> Concat(ReadOnlySequence<byte> pending, byte[] next) =>
        new([.. pending.ToArray(), .. next]);

    /// <summary>Byte arrays made mostly of the bytes SMTP framing cares about, plus fragments of broken UTF-8.</summary>
    public static class SmtpBytes
    {
        public static Arbitrary<byte[]> Bytes()
        {
            var interesting = Gen.Elements<byte>((byte)'\r', (byte)'\n', (byte)'.', 0, (byte)' ', (byte)'A', (byte)'x', (byte)':', (byte)'<', (byte)'>', (byte)'@', 0xC3, 0xA9, 0xFF, 0x80);
            var any = ArbMap.Default.GeneratorFor<byte>();
            var element = Gen.Frequency((4, interesting), (1, any));
            var word = Gen.Elements(Encoding.ASCII.GetBytes("MAIL FROM:<a@b.example>"), Encoding.ASCII.GetBytes("\r\n.\r\n"), Encoding.ASCII.GetBytes("EHLO "), Encoding.ASCII.GetBytes(new string('y', 600)));
            var piece = Gen.Frequency((6, element.Select(b => new[] { b })), (1, word));
            return Gen.ListOf(piece).Select(pieces => pieces.SelectMany(p => p).ToArray()).ToArbitrary();
        }
    }
}
