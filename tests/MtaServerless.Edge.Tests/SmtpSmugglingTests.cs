using System.Text;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// SMTP smuggling (SEC Consult, 2023): only CRLF.CRLF ends DATA. Every bare-LF/bare-CR end-of-data variant
/// is sent with a second transaction behind it. The chosen policy: a bare CR or LF is never a line end, the
/// message is read to the real CRLF.CRLF and refused with 550 5.6.11, and nothing of it is enqueued; the
/// smuggled commands are message text, never commands. A NUL is refused with 554 5.6.0.
/// </summary>
public sealed class SmtpSmugglingTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string Smuggled = "MAIL FROM:<spoofed@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nFrom: spoofed@example.com\r\n\r\nsmuggled\r\n";

    /// <summary>Every bare-LF/bare-CR look-alike of the end of data.</summary>
    public static TheoryData<string> FakeEnds { get; } = ["\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r\n.\r", "\n.\r"];

    [Theory]
    [MemberData(nameof(FakeEnds))]
    public async Task Data_BareLineBreakEndOfData_RefusesEverythingUpToTheRealEnd(string fakeEnd)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await OpenDataAsync(edge);

        await client.SendAsync("Subject: first\r\n\r\nfirst" + fakeEnd + Smuggled + ".\r\nNOOP\r\n");

        await client.ExpectAsync("550 5.6.11");
        await client.ExpectAsync("250 2.0.0 Ok");
        Assert.Empty(edge.Spool.Committed);
        Assert.Equal(1, edge.Spool.Aborted);

        // The session is in step: a clean transaction afterwards is accepted as itself.
        await StartDataAsync(client);
        await client.CommandAsync("Subject: clean\r\n\r\nclean\r\n.", "250 2.0.0");
        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal("Subject: clean\r\n\r\nclean\r\n", Encoding.ASCII.GetString(message.Body));
    }

    [Theory]
    [MemberData(nameof(FakeEnds))]
    public async Task Data_BareLineBreakEndOfDataByteByByte_IsRefusedTheSameWay(string fakeEnd)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await OpenDataAsync(edge);

        await client.SendByteByByteAsync("x" + fakeEnd + Smuggled + ".\r\n");

        await client.ExpectAsync("550 5.6.11");
        await client.CommandAsync("NOOP", "250 2.0.0");
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Data_Nul_IsRefused()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await OpenDataAsync(edge);

        await client.SendAsync("Subject: nul\r\n\r\nbefore\0after\r\n.\r\n");

        await client.ExpectAsync("554 5.6.0");
        Assert.Empty(edge.Spool.Committed);
    }

    [Theory]
    [InlineData("BDAT 12 LAST\r\nbare\nLF text")]
    [InlineData("BDAT 12 LAST\r\nbare\rCR text")]
    [InlineData("BDAT 6\r\nends\r\r")]
    [InlineData("BDAT 5 LAST\r\nnul\0x")]
    public async Task Bdat_BareLineBreakOrNul_IsRefusedAndNotEnqueued(string chunks)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.SendAsync("MAIL FROM:<sender@example.org>\r\nRCPT TO:<someone@example.com>\r\n");
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("250 2.1.5");

        await client.SendAsync(chunks + "NOOP\r\n");

        var reply = await client.ReadReplyAsync();
        Assert.Matches("^(550 5.6.11|554 5.6.0)", reply);
        await client.ExpectAsync("250 2.0.0 Ok");
        Assert.Empty(edge.Spool.Committed);
        Assert.Equal(1, await edge.Spool.WaitForAbortedAsync(1));
    }

    /// <summary>A session in DATA, after the 354: MAIL, RCPT and DATA pipelined in one write.</summary>
    private static async Task<SmtpWireClient> OpenDataAsync(EdgeServer edge)
    {
        var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await StartDataAsync(client);
        return client;
    }

    private static async Task StartDataAsync(SmtpWireClient client)
    {
        await client.SendAsync("MAIL FROM:<sender@example.org>\r\nRCPT TO:<someone@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("354");
    }
}
