using System.Text.Json;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;

namespace MtaServerless.Tests.Core;

public sealed class DsnParameterTests
{
    [Theory]
    [InlineData("QQ314159", "QQ314159")]
    [InlineData("a+2Bb", "a+b")]
    [InlineData("a+3Db+20c", "a=b c")]
    [InlineData("+C3+BC", "ü")]
    public void Xtext_DecodesAndEncodesBack(string xtext, string decoded)
    {
        Assert.True(Xtext.TryDecode(xtext, out var value));
        Assert.Equal(decoded, value);
        Assert.Equal(xtext, Xtext.Encode(value));
    }

    [Theory]
    [InlineData("a+")]
    [InlineData("a+2")]
    [InlineData("a+2b")]
    [InlineData("a=b")]
    [InlineData("a b")]
    [InlineData("é")]
    public void Xtext_RefusesWhatIsNotXtext(string xtext) => Assert.False(Xtext.TryDecode(xtext, out _));

    [Theory]
    [InlineData("SUCCESS", DsnNotify.Success)]
    [InlineData("failure,delay", DsnNotify.Failure | DsnNotify.Delay)]
    [InlineData("NEVER", DsnNotify.Never)]
    public void Notify_ParsesTheKeywords(string value, DsnNotify expected)
    {
        Assert.True(DsnNotifyKeywords.TryParse(value, out var notify));
        Assert.Equal(expected, notify);
        Assert.True(DsnNotifyKeywords.TryParse(DsnNotifyKeywords.Format(notify), out var again));
        Assert.Equal(notify, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("SOMETIMES")]
    [InlineData("SUCCESS,SUCCESS")]
    [InlineData("NEVER,FAILURE")]
    [InlineData("SUCCESS,")]
    public void Notify_RefusesBadLists(string value) => Assert.False(DsnNotifyKeywords.TryParse(value, out _));

    [Theory]
    [InlineData(DsnNotify.None, DsnNotify.Failure, true)]
    [InlineData(DsnNotify.None, DsnNotify.Delay, true)]
    [InlineData(DsnNotify.None, DsnNotify.Success, false)]
    [InlineData(DsnNotify.Never, DsnNotify.Failure, false)]
    [InlineData(DsnNotify.Success, DsnNotify.Success, true)]
    [InlineData(DsnNotify.Success, DsnNotify.Failure, false)]
    public void Wants_FollowsRfc3461WithTheMtaDecidingWithoutNotify(DsnNotify notify, DsnNotify kind, bool wanted) =>
        Assert.Equal(wanted, DsnNotifyKeywords.Wants(notify, kind));

    [Fact]
    public void QueueDocument_KeepsTheRfcKeywordsAndTheDecodedOriginalRecipient()
    {
        var envelope = new Envelope(
            "a@example.org",
            [new EnvelopeRecipient("b@example.com", DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", "b+x@example.com")), new EnvelopeRecipient("c@example.com")],
            Ret: DsnReturn.Headers,
            EnvId: "id 1");
        var document = new InboundMessage("id", "blob", envelope, new SessionInfo("127.0.0.1", "client", "ESMTP", "mx", DateTimeOffset.UnixEpoch, "edge"));

        var json = QueueDocuments.Serialize(document);

        using var parsed = JsonDocument.Parse(json);
        var recipients = parsed.RootElement.GetProperty("envelope").GetProperty("recipients");
        Assert.Equal("SUCCESS,FAILURE", recipients[0].GetProperty("notify").GetString());
        Assert.Equal("rfc822;b+x@example.com", recipients[0].GetProperty("orcpt").GetString());
        Assert.False(recipients[1].TryGetProperty("notify", out _));
        Assert.Equal("HDRS", parsed.RootElement.GetProperty("envelope").GetProperty("ret").GetString());
        Assert.Equal(document.Envelope.Recipients, QueueDocuments.DeserializeInbound(json).Envelope.Recipients);
    }
}
