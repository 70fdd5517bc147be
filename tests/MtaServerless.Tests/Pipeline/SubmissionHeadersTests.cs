using MtaServerless.Core.Documents;
using MtaServerless.Pipeline.Ingest;

namespace MtaServerless.Tests.Pipeline;

/// <summary>RFC 6409 8.2 and 8.3: what a submitted message lacks, from the inbound document alone, and nothing for relayed mail.</summary>
public sealed class SubmissionHeadersTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 28, 14, 5, 9, TimeSpan.Zero);

    [Theory]
    [InlineData(true, false, false, "Date: Sat, 28 Nov 2026 14:05:09 +0000\r\nMessage-ID: <0196f2a4c0e07a3b9c1d2e3f40516273@mx1.example.net>\r\n")]
    [InlineData(true, true, false, "Message-ID: <0196f2a4c0e07a3b9c1d2e3f40516273@mx1.example.net>\r\n")]
    [InlineData(true, false, true, "Date: Sat, 28 Nov 2026 14:05:09 +0000\r\n")]
    [InlineData(true, true, true, "")]
    [InlineData(false, false, false, "")]
    public void Build_AddsWhatASubmissionLacks(bool submission, bool hasDate, bool hasMessageId, string expected)
    {
        Assert.Equal(expected, SubmissionHeaders.Build(Message(submission, hasDate, hasMessageId, "MX1.Example.NET")));
    }

    [Fact]
    public void Build_EdgeNameThatIsNoDomain_StillMakesAValidMessageId()
    {
        Assert.Equal("Message-ID: <0196f2a4c0e07a3b9c1d2e3f40516273@localhost>\r\n", SubmissionHeaders.Build(Message(true, true, false, "edge host (1)")));
    }

    private static InboundMessage Message(bool submission, bool hasDate, bool hasMessageId, string edgeHost) => new(
        "0196f2a4c0e07a3b9c1d2e3f40516273",
        "2026/11/28/0196f2a4c0e07a3b9c1d2e3f40516273.eml",
        new Envelope("alice@example.org", [new EnvelopeRecipient("bob@example.com")]),
        new SessionInfo("192.0.2.10", "client.example.org", "ESMTPSA", "submission", ReceivedAt, edgeHost, Submission: submission),
        HasMessageId: hasMessageId,
        HasDate: hasDate);
}
