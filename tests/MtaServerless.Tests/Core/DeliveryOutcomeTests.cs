using MtaServerless.Core.Deliveries;

namespace MtaServerless.Tests.Core;

public sealed class DeliveryOutcomeTests
{
    [Theory]
    [InlineData(250, new[] { "2.0.0 Ok: queued as 1234" }, "2.0.0", "Ok: queued as 1234")]
    [InlineData(550, new[] { "5.1.1 <bob@example.com>: Recipient address rejected" }, "5.1.1", "<bob@example.com>: Recipient address rejected")]
    [InlineData(250, new[] { "Ok" }, "2.0.0", "Ok")]
    [InlineData(554, new[] { "Transaction failed" }, "5.0.0", "Transaction failed")]
    [InlineData(550, new[] { "4.1.1 class does not match" }, "5.0.0", "4.1.1 class does not match")]
    [InlineData(550, new[] { "5.1 too short" }, "5.0.0", "5.1 too short")]
    [InlineData(450, new[] { "4.7.1 Try again later,", "4.7.1 the greylist says" }, "4.7.1", "Try again later, the greylist says")]
    [InlineData(421, new[] { "" }, "4.0.0", "")]
    public void FromReply_ReadsTheEnhancedCodeOnceAndJoinsTheLines(int code, string[] lines, string status, string text)
    {
        var outcome = DeliveryOutcome.FromReply(code, lines, "mx.example.com");

        Assert.Equal((code, status, text, OutcomeSource.Remote, "mx.example.com"), (outcome.Code, outcome.Status.ToString(), outcome.Text, outcome.Source, outcome.Host));
    }

    [Theory]
    [InlineData("550 5.1.1 No such user", 550, "5.1.1", "No such user")]
    [InlineData("451 4.2.1 Mailbox busy (gave up after 120 hours)", 451, "4.2.1", "Mailbox busy (gave up after 120 hours)")]
    [InlineData("451 Try again later", 451, "4.0.0", "Try again later")]
    [InlineData("250", 250, "2.0.0", "")]
    [InlineData("no code at all", 554, "5.0.0", "no code at all")]
    public void Parse_ReadsBackWhatToStringWrote(string reply, int code, string status, string text)
    {
        var outcome = DeliveryOutcome.Parse(reply, OutcomeSource.Local, null);

        Assert.Equal((code, status, text), (outcome.Code, outcome.Status.ToString(), outcome.Text));
        Assert.Equal(outcome, DeliveryOutcome.Parse(outcome.ToString(), OutcomeSource.Local, null));
    }

    [Fact]
    public void FromReply_AnEssayOfAReply_IsCutToTheBoundAndOneLine()
    {
        var lines = Enumerable.Repeat("5.7.1 " + new string('x', 500) + "\t\x01", 10).ToList();

        var outcome = DeliveryOutcome.FromReply(554, lines, "mx.example.com");

        Assert.Equal(DeliveryOutcome.MaxTextLength, outcome.Text.Length);
        Assert.EndsWith("...", outcome.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(outcome.Text, char.IsControl);
    }

    [Fact]
    public void Local_CutFallsInsideASurrogatePair_KeepsTheTextValid()
    {
        // The pair's high surrogate is the last character that would be kept.
        var text = new string('x', DeliveryOutcome.MaxTextLength - 4) + "\U0001F600" + new string('y', 10);

        var outcome = DeliveryOutcome.Local(550, "5.0.0", text);

        Assert.Equal(new string('x', DeliveryOutcome.MaxTextLength - 4) + "...", outcome.Text);
        Assert.Equal(System.Buffers.OperationStatus.Done, System.Text.Unicode.Utf8.FromUtf16(outcome.Text, new byte[outcome.Text.Length * 3], out _, out _, replaceInvalidSequences: false));
    }

    [Fact]
    public void Local_RefusesAStatusThatIsNotOne() =>
        Assert.Throws<ArgumentException>(() => DeliveryOutcome.Local(451, "4.4", "text"));

    [Theory]
    [InlineData("2.0.0", true)]
    [InlineData("5.1.10", true)]
    [InlineData("4.999.999", true)]
    [InlineData("3.0.0", false)]
    [InlineData("5.1000.0", false)]
    [InlineData("5.1", false)]
    [InlineData("5.1.1.1", false)]
    [InlineData("5..1", false)]
    [InlineData("5.a.1", false)]
    public void EnhancedStatusCode_ParsesRfc3463Syntax(string text, bool valid)
    {
        Assert.Equal(valid, EnhancedStatusCode.TryParse(text, out var code));
        if (valid)
        {
            Assert.Equal(text, code.ToString());
        }
    }
}
