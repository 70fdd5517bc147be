using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Telemetry;

namespace MtaServerless.Tests.Telemetry;

public sealed class ReplyStatusTests
{
    [Theory]
    [InlineData(250, "250 2.0.0 Ok: queued as 1234", 250, "2.0.0")]
    [InlineData(550, "550 5.1.1 <bob@example.com>: Recipient address rejected", 550, "5.1.1")]
    [InlineData(451, "451 4.7.1 Try again later", 451, "4.7.1")]
    [InlineData(250, "250 Ok", 250, "2.0.0")]
    [InlineData(554, "554 Transaction failed", 554, "5.0.0")]
    [InlineData(550, "550 4.1.1 class does not match", 550, "5.0.0")]
    [InlineData(550, "550 5.1 too short", 550, "5.0.0")]
    [InlineData(451, SmtpRelay.UnreachableReply, 0, "4.4.1")]
    public void Parse_ReadsBothCodes_OrTheClassDefault(int code, string reply, int expectedCode, string expectedEnhanced) =>
        Assert.Equal(new ReplyStatus(expectedCode, expectedEnhanced), ReplyStatus.Parse(code, reply));

    [Theory]
    [InlineData("550 5.1.1 No such user", "5.1.1")]
    [InlineData("451 4.2.1 Mailbox busy (gave up after 120 hours)", "4.2.1")]
    [InlineData("451 Try again later", "4.0.0")]
    [InlineData("550 4.1.1 class does not match", "5.0.0")]
    [InlineData(SmtpRelay.UnreachableReply, "4.4.1")]
    [InlineData("no code at all", "5.0.0")]
    [InlineData(null, "5.0.0")]
    public void DsnStatus_ReadsTheReplyAsTheTelemetryDoes(string? reply, string expected) =>
        Assert.Equal(expected, DsnBuilder.StatusOf(reply));
}
