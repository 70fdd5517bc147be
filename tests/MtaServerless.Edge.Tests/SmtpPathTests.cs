using System.Buffers;
using System.Text;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Tests;

public sealed class SmtpPathTests
{
    [Theory]
    [InlineData("FROM:<a@example.org>", "a@example.org", "")]
    [InlineData("from: <a@example.org> BODY=8BITMIME", "a@example.org", "BODY=8BITMIME")]
    [InlineData("FROM:<>", "", "")]
    [InlineData("FROM:<\"odd > local\"@example.org>", "\"odd > local\"@example.org", "")]
    public void TryRead_ValidArgument_SplitsPathAndParameters(string argument, string path, string parameters)
    {
        Assert.True(SmtpPath.TryRead(Sequences.Fragmented(argument), "FROM:"u8, out var address, out var rest));
        Assert.Equal(path, Sequences.Text(address));
        Assert.Equal(parameters, Sequences.Text(rest));
    }

    [Theory]
    [InlineData("")]
    [InlineData("FROM:a@example.org")]
    [InlineData("TO:<a@example.org>")]
    [InlineData("FROM:<a@example.org")]
    [InlineData("FROM:<a@example.org>BODY=7BIT")]
    [InlineData("FROM:<\"unterminated@example.org>")]
    public void TryRead_BadArgument_Fails(string argument)
    {
        Assert.False(SmtpPath.TryRead(Sequences.Ascii(argument), "FROM:"u8, out _, out _));
    }

    [Theory]
    [InlineData("user@Example.ORG", "user@example.org")]
    [InlineData("@relay.example,@other.example:user@example.org", "user@example.org")]
    [InlineData("\"John Doe\"@example.org", "\"John Doe\"@example.org")]
    public void TryGetMailbox_ValidAddress_NormalizesTheDomain(string address, string expected)
    {
        Assert.True(SmtpPath.TryGetMailbox(Sequences.Ascii(address), utf8: false, out var mailbox));
        Assert.Equal(expected, mailbox.ToString());
    }

    [Theory]
    [InlineData("jörg@bücher.test", "jörg@xn--bcher-kva.test")]
    [InlineData("user@example.org", "user@example.org")]
    public void TryGetMailbox_Utf8Declared_AcceptsUtf8AndNormalizesTheDomain(string address, string expected)
    {
        Assert.True(SmtpPath.TryGetMailbox(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(address)), utf8: true, out var mailbox));
        Assert.Equal(expected, mailbox.ToString());
    }

    [Theory]
    [InlineData(new byte[] { (byte)'a', 0xC3, (byte)'@', (byte)'x', (byte)'.', (byte)'t' }, true)]
    [InlineData(new byte[] { (byte)'a', 0xFF, (byte)'@', (byte)'x', (byte)'.', (byte)'t' }, true)]
    [InlineData(new byte[] { (byte)'j', 0xC3, 0xB6, (byte)'@', (byte)'x', (byte)'.', (byte)'t' }, false)]
    public void TryGetMailbox_NonAscii_NeedsSmtpUtf8AndWellFormedUtf8(byte[] address, bool utf8)
    {
        Assert.True(SmtpPath.IsNonAscii(new ReadOnlySequence<byte>(address)));
        Assert.False(SmtpPath.TryGetMailbox(new ReadOnlySequence<byte>(address), utf8, out _));
    }

    [Theory]
    [InlineData("no-at-sign")]
    [InlineData("user@")]
    [InlineData("john doe@example.org")]
    [InlineData("user@exa mple.org")]
    [InlineData("@relay.example")]
    public void TryGetMailbox_BadAddress_Fails(string address)
    {
        Assert.False(SmtpPath.TryGetMailbox(Sequences.Ascii(address), utf8: false, out _));
    }

    [Fact]
    public void TryGetMailbox_AddressOver254Octets_Fails()
    {
        var address = new string('a', 64) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 4)) + ".example";

        Assert.False(SmtpPath.TryGetMailbox(Sequences.Ascii(address), utf8: false, out _));
    }

    [Theory]
    [InlineData("BODY=8BITMIME  SIZE=10", "BODY|8BITMIME,SIZE|10")]
    [InlineData("X-FLAG", "X-FLAG|")]
    [InlineData("", "")]
    public void Read_Parameters_YieldsKeywordsAndValues(string parameters, string expected)
    {
        var reader = new SequenceReader<byte>(Sequences.Ascii(parameters));
        var read = new List<string>();
        while (EsmtpParameters.Read(ref reader, out var keyword, out var value) == ParameterStatus.Parameter)
        {
            read.Add(Sequences.Text(keyword) + "|" + Sequences.Text(value));
        }

        Assert.Equal(expected, string.Join(',', read));
    }

    [Theory]
    [InlineData("BODY=")]
    [InlineData("=8BITMIME")]
    [InlineData("-X=1")]
    [InlineData("BO_DY=1")]
    public void Read_BadParameter_IsInvalid(string parameters)
    {
        var reader = new SequenceReader<byte>(Sequences.Ascii(parameters));

        Assert.Equal(ParameterStatus.Invalid, EsmtpParameters.Read(ref reader, out _, out _));
    }
}
