using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Tests;

public sealed class SmtpCommandParserTests
{
    [Theory]
    [InlineData("HELO client.example", nameof(SmtpVerb.Helo), "client.example")]
    [InlineData("ehlo [127.0.0.1]", nameof(SmtpVerb.Ehlo), "[127.0.0.1]")]
    [InlineData("MaIl FROM:<a@example.org>", nameof(SmtpVerb.Mail), "FROM:<a@example.org>")]
    [InlineData("RCPT TO:<b@example.com> NOTIFY=NEVER", nameof(SmtpVerb.Rcpt), "TO:<b@example.com> NOTIFY=NEVER")]
    [InlineData("DATA", nameof(SmtpVerb.Data), "")]
    [InlineData("rset", nameof(SmtpVerb.Rset), "")]
    [InlineData("NOOP   anything", nameof(SmtpVerb.Noop), "anything")]
    [InlineData("QUIT", nameof(SmtpVerb.Quit), "")]
    [InlineData("StartTls", nameof(SmtpVerb.StartTls), "")]
    [InlineData("AUTH PLAIN AGFAYg==", nameof(SmtpVerb.Auth), "PLAIN AGFAYg==")]
    [InlineData("BDAT 10 LAST", nameof(SmtpVerb.Bdat), "10 LAST")]
    [InlineData("HELP", nameof(SmtpVerb.Help), "")]
    [InlineData("VRFY postmaster", nameof(SmtpVerb.Vrfy), "postmaster")]
    public void TryParse_ValidLine_ReturnsVerbAndArgument(string line, string verb, string argument)
    {
        foreach (var buffer in new[] { Sequences.Ascii(line), Sequences.Fragmented(line) })
        {
            Assert.True(SmtpCommandParser.TryParse(buffer, out var command, out _));
            Assert.Equal(Enum.Parse<SmtpVerb>(verb), command.Verb);
            Assert.Equal(argument, Sequences.Text(command.Argument));
        }
    }

    [Theory]
    [InlineData("", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("HEL", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("HELOX", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("HELO\tclient", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("XYZZ", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("STARTTLX", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("STAR", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("STARTTLS2", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("H\u0005LO x", nameof(SmtpRejection.UnknownCommand))]
    [InlineData(" HELO x", nameof(SmtpRejection.UnknownCommand))]
    [InlineData("NOOP\nQUIT", nameof(SmtpRejection.BareLineBreakInCommand))]
    [InlineData("MAIL FROM:<a@b.example>\r", nameof(SmtpRejection.BareLineBreakInCommand))]
    [InlineData("\nNOOP", nameof(SmtpRejection.BareLineBreakInCommand))]
    public void TryParse_BadLine_IsRejected(string line, string expected)
    {
        Assert.False(SmtpCommandParser.TryParse(Sequences.Ascii(line), out _, out var rejection));
        Assert.Equal(Enum.Parse<SmtpRejection>(expected), rejection);
    }
}
