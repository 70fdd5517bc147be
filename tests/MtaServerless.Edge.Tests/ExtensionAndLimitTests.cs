using System.Net;
using System.Text;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>ESMTP extensions and limits, each with its exact reply and whether anything was enqueued.</summary>
public sealed class ExtensionAndLimitTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private static readonly Dictionary<string, string?> SmallLimits = new()
    {
        ["Edge:Limits:MaxMessageSize"] = "1000",
        ["Edge:Limits:MaxRecipients"] = "3",
    };

    [Fact]
    public async Task Ehlo_Plaintext_AdvertisesTheExtensions()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: SmallLimits);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        var lines = (await client.CommandAsync("EHLO client.example", "250-")).Split('\n').Select(l => l[4..]).ToArray();

        Assert.Equal([EdgeServer.HostName, "PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "DSN", "STARTTLS", "HELP"], lines);
        await client.CommandAsync("HELP", "214 2.0.0");
        await client.CommandAsync("VRFY postmaster", "252 2.5.2");
        await client.CommandAsync("VRFY " + EdgeStorageFixture.MailboxUser, "252 2.5.2");
    }

    [Fact]
    public async Task Size_DeclaredOverTheLimit_Is552AtMail()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: SmallLimits);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync("MAIL FROM:<a@example.org> SIZE=1001", "552 5.3.4");
        await client.CommandAsync("MAIL FROM:<a@example.org> SIZE=1000", "250 2.1.0");
    }

    [Fact]
    public async Task Size_UndeclaredOverflowInData_Is552AndNothingIsEnqueued()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: SmallLimits);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org> SIZE=100");
        await client.CommandAsync("DATA", "354");

        await client.SendAsync(string.Concat(Enumerable.Repeat(new string('x', 98) + "\r\n", 11)) + ".\r\n");

        await client.ExpectAsync("552 5.3.4");
        await client.CommandAsync("NOOP", "250 2.0.0");
        Assert.Empty(edge.Spool.Committed);
        Assert.Equal(1, edge.Spool.Aborted);
    }

    [Fact]
    public async Task Size_OverflowAcrossBdatChunks_Is552AndNothingIsEnqueued()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: SmallLimits);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");
        var chunk = string.Concat(Enumerable.Repeat(new string('y', 98) + "\r\n", 6));

        await client.SendAsync($"BDAT {chunk.Length}\r\n{chunk}");
        await client.ExpectAsync($"250 2.0.0 {chunk.Length} octets received");
        await client.SendAsync($"BDAT {chunk.Length} LAST\r\n{chunk}");
        await client.ExpectAsync("552 5.3.4");

        await client.CommandAsync("NOOP", "250 2.0.0");
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Bdat_Chunks_AreJoinedAndTheDsnParametersKept()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ+2B314159 BODY=8BITMIME SIZE=40", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<b@example.com> NOTIFY=failure,delay ORCPT=rfc822;b+2Bold@example.com", "250 2.1.5");
        await client.CommandAsync("RCPT TO:<c@example.com> NOTIFY=NEVER", "250 2.1.5");

        await client.SendAsync("BDAT 20\r\nSubject: chunked\r\n\r\nBDAT 0\r\nBDAT 8 LAST\r\n.body.\r\n");

        await client.ExpectAsync("250 2.0.0 20 octets received");
        await client.ExpectAsync("250 2.0.0 0 octets received");
        await client.ExpectAsync("250 2.0.0 Ok: queued as ");
        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal("Subject: chunked\r\n\r\n.body.\r\n", Encoding.ASCII.GetString(message.Body));
        Assert.Equal(DsnReturn.Headers, message.Envelope.Ret);
        Assert.Equal("QQ+314159", message.Envelope.EnvId);
        Assert.Equal("8BITMIME", message.Envelope.Body);
        Assert.Equal(40, message.Envelope.DeclaredSize);
        Assert.Equal([DsnNotify.Failure | DsnNotify.Delay, DsnNotify.Never], message.Envelope.Recipients.Select(r => r.Notify));
        Assert.Equal([new OriginalRecipient("rfc822", "b+old@example.com"), null], message.Envelope.Recipients.Select(r => r.Orcpt));
    }

    [Fact]
    public async Task Bdat_OutOfSequence_Is503AndItsOctetsAreNeverReadAsCommands()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.SendAsync("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");

        await client.ExpectAsync("503 5.5.1");
        await client.ExpectAsync("250 2.0.0");
        await client.CommandAsync("BDAT ten", "501 5.5.4");
    }

    [Fact]
    public async Task Bdat_RsetBetweenChunks_AbortsTheSpooledPart()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");

        await client.SendAsync("BDAT 3\r\nabc");
        await client.ExpectAsync("250 2.0.0 3 octets received");
        await client.CommandAsync("DATA", "503 5.5.1");
        await client.CommandAsync("RSET", "250 2.0.0");

        Assert.Equal(1, await edge.Spool.WaitForAbortedAsync(1));
        await client.CommandAsync("BDAT 1 LAST\r\nx", "503 5.5.1");
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Rcpt_OverTheLimit_Is452AndTheFirstRecipientsAreKept()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: SmallLimits);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        for (var i = 1; i <= 3; i++)
        {
            await client.CommandAsync($"RCPT TO:<r{i}@example.com>", "250 2.1.5");
        }

        await client.CommandAsync("RCPT TO:<r4@example.com>", "452 4.5.3");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("x\r\n.", "250 2.0.0");

        Assert.Equal(3, Assert.Single(edge.Spool.Committed).Envelope.Recipients.Count);
    }

    [Fact]
    public async Task Rcpt_LongRecipientsFillingTheQueueDocument_Are452AndTheRestIsQueued()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:TrustedNetworks:0"] = "127.0.0.0/8" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        var accepted = 0;
        var refused = 0;
        for (var i = 0; i < 100; i++)
        {
            // About 500 octets of address, NOTIFY and ORCPT: 100 of them do not fit in one queue message.
            var address = $"{i:D3}{new string('l', 61)}@{new string('d', 50)}.{new string('e', 49)}.{new string('f', 49)}.example.com";
            var reply = await client.CommandAsync($"RCPT TO:<{address}> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;{address}");
            Assert.True(reply.StartsWith("250 2.1.5", StringComparison.Ordinal) || reply.StartsWith("452 4.5.3", StringComparison.Ordinal), reply);
            accepted += reply.StartsWith('2') ? 1 : 0;
            refused += reply.StartsWith('4') ? 1 : 0;
        }

        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("x\r\n.", "250 2.0.0");

        Assert.Equal(100, accepted + refused);
        Assert.InRange(refused, 1, 99);
        var envelope = Assert.Single(edge.Spool.Committed).Envelope;
        Assert.Equal(accepted, envelope.Recipients.Count);
        var document = new InboundMessage(MessageId.New(), "2026/11/28/x.eml", envelope, edge.Spool.Committed.Single().Session, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 1);
        Assert.InRange(QueueDocuments.EncodedLength(QueueDocuments.Serialize(document)), 1, QueueDocuments.MaxEncodedBytes);
    }

    [Theory]
    [InlineData(998, "250 2.0.0")]
    [InlineData(999, "554 5.6.0")]
    public async Task Data_TextLineLength_IsLimitedTo1000OctetsWithCrLf(int length, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");
        await client.CommandAsync("DATA", "354");

        await client.CommandAsync("Subject: long\r\n\r\n" + new string('z', length) + "\r\n.", expected);

        Assert.Equal(expected.StartsWith("250", StringComparison.Ordinal) ? 1 : 0, edge.Spool.Committed.Count);
    }

    [Fact]
    public async Task SmtpUtf8_Undeclared_RefusesUtf8AddressesAndDeclared_AcceptsThem()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.Endpoint);
        await client.ExpectAsync("220 ");
        await client.CommandAsync("EHLO client.example", "250-");

        await client.CommandAsync("MAIL FROM:<jörg@example.org>", "553 5.6.7");
        await client.CommandAsync("MAIL FROM:<jörg@example.org> SMTPUTF8", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<käthe@bücher.test>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("Subject: utf8\r\n\r\nx\r\n.", "250 2.0.0");

        var envelope = Assert.Single(edge.Spool.Committed).Envelope;
        Assert.True(envelope.SmtpUtf8);
        Assert.Equal("jörg@example.org", envelope.MailFrom);
        Assert.Equal("käthe@xn--bcher-kva.test", Assert.Single(envelope.Recipients).Address);
    }

    [Fact]
    public async Task Session_TooManyErrors_Gets421AndIsClosed()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Limits:MaxErrors"] = "3" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync("XYZZY", "500 5.5.2");
        await client.CommandAsync("DATA", "503 5.5.1");
        await client.CommandAsync("XYZZY", "500 5.5.2");
        await client.ExpectAsync("421 4.7.0");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Connections_OverThePerAddressLimit_Get421()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Limits:MaxConnectionsPerAddress"] = "2" });
        await using var first = await edge.ConnectAsync();
        await using var second = await edge.ConnectAsync();
        await first.ExpectAsync("220 ");
        await second.ExpectAsync("220 ");

        await using (var third = await edge.ConnectAsync())
        {
            await third.ExpectAsync("421 4.7.0");
            await third.ExpectClosedAsync();
        }

        await first.CommandAsync("QUIT", "221");
        await first.ExpectClosedAsync();
        await using var fourth = await RetryConnectAsync(edge);
        await fourth.CommandAsync("NOOP", "250 2.0.0");
    }

    [Fact]
    public async Task Connections_OverTheTotalLimit_Get421()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Limits:MaxConnections"] = "1" });
        await using var first = await edge.ConnectAsync();
        await first.ExpectAsync("220 ");

        await using var second = await SmtpWireClient.ConnectAsync(edge.SubmissionEndpoint);
        await second.ExpectAsync("421 4.7.0");
    }

    [Fact]
    public async Task Data_TrickledPastTheTotalDataTime_Gets421()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:DataTimeout"] = "00:00:00.500" });
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");
        await client.CommandAsync("DATA", "354");

        var reply = client.ReadReplyAsync();
        for (var sent = 0; !reply.IsCompleted && sent < 50; sent++)
        {
            try
            {
                await client.SendAsync("slow line\r\n");
            }
            catch (IOException)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.StartsWith("421 4.4.2", await reply, StringComparison.Ordinal);
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Listener_IPv6Loopback_AcceptsSessions()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Listeners:0:Address"] = "::1" });

        Assert.Equal(IPAddress.IPv6Loopback, edge.Endpoint.Address);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("x\r\n.", "250 2.0.0");
        Assert.Equal("::1", Assert.Single(edge.Spool.Committed).Session.ClientAddress);
    }

    [Fact]
    public async Task Shutdown_TransactionInProgress_FinishesWhileNewConnectionsGet421()
    {
        var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await OpenAsync(client, "MAIL FROM:<a@example.org>");
        await client.CommandAsync("DATA", "354");
        await client.SendAsync("Subject: in flight\r\n\r\n");

        var stopping = edge.DisposeAsync().AsTask();
        await using (var late = await RetryConnectAsync(edge, expected: "421 4.3.2"))
        {
        }

        await client.SendAsync("done\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");
        await client.ExpectAsync("421 4.3.2");
        await stopping;
        Assert.Single(edge.Spool.Committed);
    }

    private static async Task OpenAsync(SmtpWireClient client, string mail)
    {
        await client.CommandAsync(mail, "250 2.1.0");
        await client.CommandAsync("RCPT TO:<b@example.com>", "250 2.1.5");
    }

    /// <summary>Connects until the greeting is the expected one: a released slot or a stopping service shows up a moment later.</summary>
    private static async Task<SmtpWireClient> RetryConnectAsync(EdgeServer edge, string expected = "220 ")
    {
        for (var attempt = 0; ; attempt++)
        {
            var client = await edge.ConnectAsync();
            var greeting = await client.ReadReplyAsync();
            if (greeting.StartsWith(expected, StringComparison.Ordinal))
            {
                return client;
            }

            await client.DisposeAsync();
            Assert.True(attempt < 50, $"Still '{greeting}' after {attempt} attempts.");
            await Task.Delay(50);
        }
    }
}
