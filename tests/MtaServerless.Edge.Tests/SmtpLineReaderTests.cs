using System.Buffers;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Tests;

public sealed class SmtpLineReaderTests
{
    private const string Command = "MAIL FROM:<sender@example.org> BODY=8BITMIME\r\n";

    [Fact]
    public void Read_CompleteLine_ReturnsLineWithoutCrLfAndConsumesIt()
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Ascii(Command + "NOOP\r\n");

        Assert.Equal(LineStatus.Line, reader.Read(ref buffer, out var line));
        Assert.Equal(Command[..^2], Sequences.Text(line));
        Assert.Equal("NOOP\r\n", Sequences.Text(buffer));
    }

    [Fact]
    public void Read_EveryPrefixOfACommand_NeedsMoreAndConsumesNothing()
    {
        for (var length = 0; length < Command.Length; length++)
        {
            var reader = new SmtpLineReader();
            var buffer = Sequences.Ascii(Command[..length]);

            Assert.Equal(LineStatus.NeedMore, reader.Read(ref buffer, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Read_LineInOneByteSegments_ReturnsTheSameLine()
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Fragmented(Command);

        Assert.Equal(LineStatus.Line, reader.Read(ref buffer, out var line));
        Assert.Equal(Command[..^2], Sequences.Text(line));
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData("NOOP\nQUIT\r\n", "NOOP\nQUIT")]
    [InlineData("NOOP\rQUIT\r\n", "NOOP\rQUIT")]
    [InlineData("NOOP\r\r\n", "NOOP\r")]
    public void Read_BareCrOrLf_DoesNotEndTheLine(string input, string expectedLine)
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Ascii(input);

        Assert.Equal(LineStatus.Line, reader.Read(ref buffer, out var line));
        Assert.Equal(expectedLine, Sequences.Text(line));
    }

    [Theory]
    [InlineData(510, false)]
    [InlineData(511, true)]
    [InlineData(2000, true)]
    public void Read_TerminatedLine_IsLimitedTo512OctetsWithCrLf(int contentLength, bool tooLong)
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Ascii("NOOP " + new string('x', contentLength - 5) + "\r\nQUIT\r\n");

        Assert.Equal(tooLong ? LineStatus.TooLong : LineStatus.Line, reader.Read(ref buffer, out _));
        Assert.Equal("QUIT\r\n", Sequences.Text(buffer));
    }

    [Fact]
    public void Read_UnterminatedLongLine_IsTooLongOnceThenDiscardedToTheNextCrLf()
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Ascii(new string('x', 600));
        Assert.Equal(LineStatus.TooLong, reader.Read(ref buffer, out _));
        Assert.True(buffer.IsEmpty);

        // A bare LF and a CR at the end of a read do not end the discarded line.
        buffer = Sequences.Ascii("yyy\nzzz\r");
        Assert.Equal(LineStatus.NeedMore, reader.Read(ref buffer, out _));
        Assert.Equal("\r", Sequences.Text(buffer));

        buffer = Sequences.Ascii("\r\nNOOP\r\n");
        Assert.Equal(LineStatus.Line, reader.Read(ref buffer, out var line));
        Assert.Equal("NOOP", Sequences.Text(line));
    }

    [Fact]
    public void Read_ShortUnterminatedInput_NeverConsumes()
    {
        var reader = new SmtpLineReader();
        var buffer = Sequences.Ascii(new string('x', SmtpLineReader.MaxLineLength - 1));

        Assert.Equal(LineStatus.NeedMore, reader.Read(ref buffer, out _));
        Assert.Equal(SmtpLineReader.MaxLineLength - 1, buffer.Length);
    }

    [Fact]
    public void Read_EmptyBuffer_NeedsMore()
    {
        var reader = new SmtpLineReader();
        var buffer = ReadOnlySequence<byte>.Empty;

        Assert.Equal(LineStatus.NeedMore, reader.Read(ref buffer, out _));
    }
}
