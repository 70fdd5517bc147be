using System.Text;
using MimeKit;
using MtaServerless.Core.Documents;
using MtaServerless.Pipeline.Ingest;

namespace MtaServerless.Tests.Pipeline;

public sealed class ReceivedHeaderTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 28, 14, 5, 9, TimeSpan.Zero);

    [Fact]
    public void Build_OneRecipient_HasEveryClauseInOrder()
    {
        var header = ReceivedHeader.Build(Message(["bob@example.com"]));

        Assert.Equal(
            "Received: from client.example.org ([192.0.2.10]) by mx1.example.net with ESMTP\r\n" +
            "\tid 0196f2a4c0e07a3b9c1d2e3f40516273 for <bob@example.com>;\r\n" +
            "\tSat, 28 Nov 2026 14:05:09 +0000\r\n",
            header);
    }

    [Fact]
    public void Build_SeveralRecipients_OmitsTheForClause()
    {
        var header = ReceivedHeader.Build(Message(["bob@example.com", "carol@example.com"]));

        Assert.DoesNotContain(" for ", header, StringComparison.Ordinal);
        Assert.Contains("id 0196f2a4c0e07a3b9c1d2e3f40516273;", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Ipv6AndTls_UsesTheIpv6LiteralAndATlsComment()
    {
        var message = Message(["bob@example.com"]) is var m
            ? m with { Session = m.Session with { ClientAddress = "2001:db8::25", Protocol = "ESMTPS", Tls = "TLSv1.3 TLS_AES_256_GCM_SHA384" } }
            : throw new InvalidOperationException();

        var header = ReceivedHeader.Build(message);

        Assert.Contains("([IPv6:2001:db8::25])", header, StringComparison.Ordinal);
        Assert.Contains("with ESMTPS (TLSv1.3 TLS_AES_256_GCM_SHA384)", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Ipv4MappedAddress_IsWrittenAsIpv4()
    {
        var message = Message(["bob@example.com"]) is var m ? m with { Session = m.Session with { ClientAddress = "::ffff:192.0.2.7" } } : throw new InvalidOperationException();

        Assert.Contains("([192.0.2.7])", ReceivedHeader.Build(message), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LongValues_FoldsAtClausesAndKeepsLinesWithin78Characters()
    {
        var message = Message(["a-rather-long-recipient-local-part@a-long-subdomain.example.com"]) is var m
            ? m with { Session = m.Session with { Helo = "a-very-long-client-host-name.with-many-labels.example.org", EdgeHost = "mx1.region-west.mta.example.net" } }
            : throw new InvalidOperationException();

        var header = ReceivedHeader.Build(message);
        var lines = header.TrimEnd('\r', '\n').Split("\r\n");

        Assert.True(lines.Length >= 3);
        Assert.All(lines, line => Assert.InRange(line.Length, 1, ReceivedHeader.PreferredLineLength));
        Assert.All(lines.Skip(1), line => Assert.StartsWith("\t", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_HostileHelo_CannotInjectHeadersOrBreakTheComment()
    {
        var message = Message(["bob@example.com"]) is var m
            ? m with { Session = m.Session with { Helo = "evil\r\nBcc: victim@example.com (x)" } }
            : throw new InvalidOperationException();

        var header = ReceivedHeader.Build(message);
        var parsed = Parse(header);

        Assert.Single(parsed);
        Assert.Equal(HeaderId.Received, parsed[0].Id);
        Assert.DoesNotContain("\r\nBcc", header, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_Output_ParsesAsOneReceivedHeaderWithTheDate()
    {
        var parsed = Parse(ReceivedHeader.Build(Message(["bob@example.com"])));

        var received = Assert.Single(parsed);
        Assert.Equal("Received", received.Field);
        Assert.EndsWith("Sat, 28 Nov 2026 14:05:09 +0000", received.Value, StringComparison.Ordinal);
    }

    private static HeaderList Parse(string header)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(header + "\r\n"));
        return HeaderList.Load(ParserOptions.Default, stream);
    }

    private static InboundMessage Message(IReadOnlyList<string> recipients) => new(
        "0196f2a4c0e07a3b9c1d2e3f40516273",
        "2026/11/28/0196f2a4c0e07a3b9c1d2e3f40516273.eml",
        new Envelope("alice@example.org", recipients.Select(r => new EnvelopeRecipient(r)).ToList()),
        new SessionInfo("192.0.2.10", "client.example.org", "ESMTP", "mx", ReceivedAt, "mx1.example.net"),
        null);
}
