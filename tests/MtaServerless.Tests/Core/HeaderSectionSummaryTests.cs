using System.Text;
using FsCheck;
using MimeKit;
using MtaServerless.Core.Mail;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Core;

/// <summary>The streaming summary of a header section agrees with MimeKit's header parser however the bytes are split.</summary>
public sealed class HeaderSectionSummaryTests
{
    private static readonly string[] Fields =
    [
        "Received: from a.test by b.test; Sat, 28 Nov 2026 14:00:00 +0000",
        "received: from c.test\r\n by d.test; Sat, 28 Nov 2026 13:00:00 +0000",
        "RECEIVED:from e.test by f.test; Sat, 28 Nov 2026 12:00:00 +0000",
        "Received-SPF: pass",
        "X-Received: by 10.0.0.1",
        "Subject: Received: not a trace field",
        "From: alice@example.org",
        "DKIM-Signature: v=1;\r\n\treceived: folded continuation, not a field",
        "Message-ID: <a@example.org>",
        "message-id:\r\n <b@example.org>",
        "Resent-Message-ID: <c@example.org>",
        "Date: Sat, 28 Nov 2026 14:00:00 +0000",
        "DATE: Sat, 28 Nov 2026 14:00:00 +0000",
        "Resent-Date: Sat, 28 Nov 2026 14:00:00 +0000",
        "X-Date: no",
    ];

    [FuzzProperty(300)]
    public void Inspect_AnyHeaderSectionAnySplit_SeesWhatMimeKitSees(int[] picks, PositiveInt splitEvery)
    {
        var header = string.Concat(picks.Select(p => Fields[Math.Abs(p % Fields.Length)] + "\r\n"));
        var bytes = Encoding.ASCII.GetBytes(header + "\r\nReceived: in the body\r\nMessage-ID: <body@example.org>\r\nDate: in the body\r\n");
        var counter = new HeaderSectionSummary();

        foreach (var chunk in bytes.Chunk(splitEvery.Get))
        {
            counter.Inspect(chunk);
        }

        using var stream = new MemoryStream(bytes);
        var headers = HeaderList.Load(stream);
        Assert.Equal(headers.Count(h => h.Id == HeaderId.Received), counter.ReceivedCount);
        Assert.Equal(headers.Contains(HeaderId.MessageId), counter.HasMessageId);
        Assert.Equal(headers.Contains(HeaderId.Date), counter.HasDate);
    }

    [Fact]
    public void Inspect_NoBlankLineYet_CountsEveryFieldSoFar()
    {
        var counter = new HeaderSectionSummary();

        counter.Inspect("Received: one\r\nReceived: two\r\nRecei"u8);
        counter.Inspect("ved: three\r\n"u8);

        Assert.Equal(3, counter.ReceivedCount);
    }
}
