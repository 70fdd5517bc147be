using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Deliver.Smtp;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Pipeline;

/// <summary>The relay client's byte-level parts: the reply parser, the dot-stuffer, the 8-bit scanner and EHLO's keywords.</summary>
public sealed class RelayProtocolTests
{
    private const string Ehlo = "250-mx.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n250-STARTTLS\r\n250 CHUNKING\r\n";

    [Fact]
    public void ReplyParser_EveryPrefixOfAReply_NeedsMoreAndTheWholeOneIsRead()
    {
        var bytes = Encoding.ASCII.GetBytes(Ehlo + "354 next reply");
        var end = Encoding.ASCII.GetByteCount(Ehlo);
        for (var length = 0; length < end; length++)
        {
            Assert.False(HopReplyParser.TryRead(new ReadOnlySequence<byte>(bytes, 0, length), out _, out _), $"{length} octets");
        }

        var sequence = new ReadOnlySequence<byte>(bytes);
        Assert.True(HopReplyParser.TryRead(sequence, out var reply, out var consumed));
        Assert.Equal(end, sequence.Slice(0, consumed).Length);
        Assert.Equal(250, reply.Code);
        Assert.Equal(["mx.example.com Hello", "PIPELINING", "SIZE 10240000", "AUTH PLAIN LOGIN", "8BITMIME", "SMTPUTF8", "DSN", "STARTTLS", "CHUNKING"], reply.Lines);
    }

    [Theory]
    [InlineData("hello\r\n")]
    [InlineData("25\r\n")]
    [InlineData("250x\r\n")]
    [InlineData("199 informational\r\n")]
    [InlineData("260 second digit out of range\r\n")]
    [InlineData("250-first\r\n550 second\r\n")]
    public void ReplyParser_WhatIsNotAReply_IsAProtocolViolation(string text) =>
        Assert.Throws<HopProtocolException>(() => HopReplyParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out _, out _));

    [Fact]
    public void ReplyParser_LineWithoutEnd_IsRefusedOnceItIsLongerThanTheBound()
    {
        var endless = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("250 " + new string('x', HopReplyParser.MaxLineLength)));

        Assert.Throws<HopProtocolException>(() => HopReplyParser.TryRead(endless, out _, out _));
    }

    [Fact]
    public void ReplyParser_TooManyLines_IsRefused()
    {
        var lines = string.Concat(Enumerable.Repeat("250-x\r\n", HopReplyParser.MaxLines + 1)) + "250 end\r\n";

        Assert.Throws<HopProtocolException>(() => HopReplyParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(lines)), out _, out _));
    }

    [Fact]
    public void Capabilities_FromEhlo_ReadsTheKeywordsAndTheAuthMechanisms()
    {
        Assert.True(HopReplyParser.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Ehlo)), out var reply, out _));

        var capabilities = HopCapabilities.FromEhlo(reply.Lines);

        Assert.True(capabilities is { Pipelining: true, Size: true, EightBitMime: true, SmtpUtf8: true, Dsn: true, StartTls: true, Chunking: true });
        Assert.Equal(["LOGIN", "PLAIN"], capabilities.AuthMechanisms.Order(StringComparer.Ordinal));
        Assert.False(HopCapabilities.FromEhlo(["mx.example.com"]).Pipelining);
    }

    [FuzzProperty(300, Arbitrary = [typeof(MessageBytes)])]
    public void DotStuffing_AnyMessageInAnySplit_DoublesLeadingPeriodsAndEndsWithTheTerminator((byte[] Message, int[] Splits) input)
    {
        var output = new MemoryStream();
        var stuffing = new DotStuffingStream(output);
        var position = 0;
        foreach (var split in input.Splits.Append(input.Message.Length))
        {
            var end = Math.Clamp(split, position, input.Message.Length);
            stuffing.WriteAsync(input.Message.AsMemory(position, end - position)).AsTask().GetAwaiter().GetResult();
            position = end;
        }

        stuffing.EndAsync(CancellationToken.None).GetAwaiter().GetResult();

        var text = Encoding.Latin1.GetString(input.Message);
        var expected = ("\n" + text).Replace("\n.", "\n..", StringComparison.Ordinal)[1..];
        expected += (text.Length == 0 || text.EndsWith('\n') ? string.Empty : "\r\n") + ".\r\n";
        Assert.Equal(expected, Encoding.Latin1.GetString(output.ToArray()));
    }

    [FuzzProperty(300, Arbitrary = [typeof(MessageBytes)])]
    public void ShapeScanner_AnyMessageInAnySplit_FindsTheSameEightBitOctetsAsAWholeReading((byte[] Message, int[] Splits) input)
    {
        var scanner = new MessageShapeScanner();
        var position = 0;
        foreach (var split in input.Splits.Append(input.Message.Length))
        {
            var end = Math.Clamp(split, position, input.Message.Length);
            scanner.Scan(input.Message.AsSpan(position, end - position));
            position = end;
        }

        var text = Encoding.Latin1.GetString(input.Message);
        var separator = text.StartsWith("\r\n", StringComparison.Ordinal) ? 0 : text.IndexOf("\n\r\n", StringComparison.Ordinal) is >= 0 and var at ? at + 1 : text.Length;
        Assert.Equal(new MessageShape(text[..separator].Any(c => c > 127), text[separator..].Any(c => c > 127)), scanner.Shape);
    }

    /// <summary>CRLF-lined messages of short lines, some starting with a period, some 8-bit, and where to split them.</summary>
    public static class MessageBytes
    {
        public static Arbitrary<(byte[] Message, int[] Splits)> Messages()
        {
            var line = Gen.Elements("Subject: x", ".", "..", ".leading period", "plain", "\u00e4\u00f6\u00fc 8-bit", string.Empty, "a")
                .ListOf()
                .Select(lines => Encoding.Latin1.GetBytes(string.Concat(lines.Select(l => l + "\r\n"))));
            var unterminated = Gen.Elements(string.Empty, "no line end", ".x").Select(Encoding.Latin1.GetBytes);
            var message = Gen.Zip(line, unterminated).Select(t => (byte[])[.. t.Item1, .. t.Item2]);
            return message.SelectMany(m => Gen.Choose(0, m.Length).ArrayOf().Select(s => (m, s.Order().ToArray()))).ToArbitrary();
        }
    }
}
