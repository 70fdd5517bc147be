using System.Text;
using MimeKit;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Tests.Authentication;

public sealed class OwnAuthenticationResultsTests
{
    private const string ServId = "mail.example.net";

    private const string Body = "From: alice@example.org\r\nTo: bob@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    [Theory]
    [InlineData("Authentication-Results: mail.example.net; spf=pass smtp.mailfrom=example.org\r\n")]
    [InlineData("Authentication-Results: MAIL.Example.NET; dkim=pass header.d=example.org\r\n")]
    [InlineData("authentication-results:mail.example.net;\r\n\tspf=pass smtp.mailfrom=example.org;\r\n\tdkim=pass header.d=example.org\r\n")]
    [InlineData("Authentication-Results : (a comment) mail.example.net 1; none\r\n")]
    [InlineData("Authentication-Results: \"mail.example.net\"; none\r\n")]
    [InlineData("Authentication-Results:\r\n mail.example.net;\r\n dmarc=pass header.from=example.org\r\n")]
    public void Find_OurAuthservId_ReturnsTheWholeField_FoldsIncluded(string forged)
    {
        var stored = "Received: from a by b; Sat, 5 Dec 2026 07:00:00 +0000\r\n" + forged + Body;

        var ranges = Find(stored);

        Assert.Equal("Received: from a by b; Sat, 5 Dec 2026 07:00:00 +0000\r\n" + Body, Without(stored, ranges));
    }

    [Theory]
    [InlineData("Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=example.org\r\n")]
    [InlineData("Authentication-Results: mail.example.net.evil.example; spf=pass smtp.mailfrom=example.org\r\n")]
    [InlineData("Authentication-Results: mail.example.networks; none\r\n")]
    [InlineData("Authentication-Results: (mail.example.net) other.example; none\r\n")]
    [InlineData("X-Authentication-Results: mail.example.net; none\r\n")]
    [InlineData("ARC-Authentication-Results: i=1; mail.example.net; none\r\n")]
    public void Find_AnotherAuthservId_KeepsTheField(string foreign)
    {
        Assert.Empty(Find(foreign + Body));
    }

    [Fact]
    public void Find_OursAmongForeign_RemovesOnlyOurs_InOrder_LastFieldIncluded()
    {
        var stored =
            "Authentication-Results: mail.example.net; spf=pass\r\n" +
            "Authentication-Results: mx.example.org; spf=fail\r\n" +
            "Subject: hi\r\n" +
            "Authentication-Results: mail.example.net;\r\n\tdkim=pass\r\n" +
            "\r\nbody\r\n";

        var ranges = Find(stored);

        Assert.Equal(2, ranges.Count);
        Assert.True(ranges[0].End <= ranges[1].Start);
        Assert.Equal(
            "Authentication-Results: mx.example.org; spf=fail\r\nSubject: hi\r\n\r\nbody\r\n",
            Without(stored, ranges));
    }

    [Fact]
    public void Find_ForgedFieldsNextToEachOther_MakeOneRange()
    {
        var forged = string.Concat(Enumerable.Repeat("Authentication-Results: mail.example.net; none\r\n", 500));

        var ranges = Find(forged + Body);

        Assert.Equal([new ByteRange(0, forged.Length)], ranges);
    }

    [Fact]
    public void Find_InTheBody_IsNotAField()
    {
        Assert.Empty(Find(Body + "Authentication-Results: mail.example.net; none\r\n"));
    }

    private static IReadOnlyList<ByteRange> Find(string stored)
    {
        return OwnAuthenticationResults.Find(HeaderList.Load(new MemoryStream(Encoding.ASCII.GetBytes(stored))), ServId);
    }

    private static string Without(string stored, IReadOnlyList<ByteRange> ranges)
    {
        var kept = new StringBuilder();
        var position = 0;
        foreach (var range in ranges)
        {
            kept.Append(stored, position, (int)range.Start - position);
            position = (int)range.End;
        }

        return kept.Append(stored, position, stored.Length - position).ToString();
    }
}
