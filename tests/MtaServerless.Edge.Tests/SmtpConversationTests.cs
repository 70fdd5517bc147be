using System.Text;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>Scripted sessions against the edge on a real loopback socket.</summary>
public sealed class SmtpConversationTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string Transaction =
        "MAIL FROM:<sender@example.org> BODY=8BITMIME\r\n" +
        "RCPT TO:<first@example.com>\r\n" +
        "RCPT TO:<Second@EXAMPLE.com>\r\n" +
        "DATA\r\n";

    private const string Message = "Subject: test\r\n\r\n..starts with a dot\r\nlast line\r\n.\r\n";

    [Fact]
    public async Task Session_PipelinedTransaction_QueuesTheMessageAfterCommit()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync($"220 {EdgeServer.HostName} ESMTP MtaServerless");

        var ehlo = await client.CommandAsync("EHLO client.example", $"250-{EdgeServer.HostName}");
        Assert.Contains("250-PIPELINING", ehlo, StringComparison.Ordinal);
        Assert.Contains("8BITMIME", ehlo, StringComparison.Ordinal);
        Assert.Contains("ENHANCEDSTATUSCODES", ehlo, StringComparison.Ordinal);

        await SendTransactionAsync(client);
        Assert.Empty(edge.Spool.Committed);

        await client.SendAsync(Message);
        var queued = await client.ExpectAsync("250 2.0.0 Ok: queued as ");
        await client.CommandAsync("QUIT", "221 2.0.0");
        await client.ExpectClosedAsync();

        var message = Assert.Single(edge.Spool.Committed);
        Assert.EndsWith(message.Id, queued, StringComparison.Ordinal);
        Assert.Equal("sender@example.org", message.Envelope.MailFrom);
        Assert.Equal("8BITMIME", message.Envelope.Body);
        Assert.Equal(["first@example.com", "Second@example.com"], message.Envelope.Recipients.Select(r => r.Address));
        Assert.Equal("Subject: test\r\n\r\n.starts with a dot\r\nlast line\r\n", Encoding.ASCII.GetString(message.Body));
        Assert.Equal("127.0.0.1", message.Session.ClientAddress);
        Assert.Equal("client.example", message.Session.Helo);
        Assert.Equal("ESMTP", message.Session.Protocol);
        Assert.Equal(EdgeServer.ListenerName, message.Session.Listener);
        Assert.Equal(EdgeServer.HostName, message.Session.EdgeHost);
    }

    [Theory]
    [InlineData("MAIL FROM:<sender@example.org> SMTPUTF8", "UTF8SMTP")]
    [InlineData("MAIL FROM:<sender@example.org>", "ESMTP")]
    public async Task Session_SmtpUtf8Transaction_ReceivedNamesItsProtocol(string mail, string protocol)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync(mail, "250 2.1.0");
        await client.CommandAsync("RCPT TO:<first@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("Subject: test\r\n\r\nbody\r\n.", "250 2.0.0");

        Assert.Equal(protocol, Assert.Single(edge.Spool.Committed).Session.Protocol);
    }

    [Fact]
    public async Task Session_WholeScriptInOneWrite_AnswersEveryCommandInOrder()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        await client.SendAsync("HELO client.example\r\n" + Transaction + Message + "QUIT\r\n");

        await client.ExpectAsync($"250 {EdgeServer.HostName}");
        await ExpectTransactionAcceptedAsync(client);
        await client.ExpectAsync("250 2.0.0 Ok: queued as ");
        await client.ExpectAsync("221 2.0.0");
        Assert.Equal("SMTP", Assert.Single(edge.Spool.Committed).Session.Protocol);
    }

    [Fact]
    public async Task Session_ScriptByteByByte_QueuesTheSameMessage()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        await client.SendByteByByteAsync("EHLO client.example\r\n" + Transaction);
        await client.ExpectAsync("250-");
        await ExpectTransactionAcceptedAsync(client);
        await client.SendByteByByteAsync(Message);
        await client.ExpectAsync("250 2.0.0 Ok: queued as ");

        Assert.Equal("Subject: test\r\n\r\n.starts with a dot\r\nlast line\r\n", Encoding.ASCII.GetString(Assert.Single(edge.Spool.Committed).Body));
    }

    [Fact]
    public async Task Session_NullSenderAndEmptyMessage_IsQueued()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync("MAIL FROM:<>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<postmaster@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync(".", "250 2.0.0");

        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal(string.Empty, message.Envelope.MailFrom);
        Assert.Null(message.Envelope.Body);
        Assert.Empty(message.Body);
    }

    [Fact]
    public async Task Rset_AfterRecipients_ClearsTheTransaction()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<old@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<old@example.com>", "250 2.1.5");

        await client.CommandAsync("RSET", "250 2.0.0");
        await client.CommandAsync("DATA", "503 5.5.1");
        await client.CommandAsync("RCPT TO:<old@example.com>", "503 5.5.1");
        await client.CommandAsync("MAIL FROM:<new@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<new@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.SendAsync("x\r\n.\r\n");
        await client.ExpectAsync("250 2.0.0");

        var envelope = Assert.Single(edge.Spool.Committed).Envelope;
        Assert.Equal("new@example.org", envelope.MailFrom);
        Assert.Equal("new@example.com", Assert.Single(envelope.Recipients).Address);
    }

    [Theory]
    [InlineData("MAIL FROM:<a@example.org>")]
    [InlineData("RCPT TO:<a@example.org>")]
    [InlineData("DATA")]
    public async Task Command_BeforeHello_IsBadSequence(string command)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        await client.CommandAsync(command, "503 5.5.1");
        await client.CommandAsync("NOOP", "250 2.0.0");
    }

    [Theory]
    [InlineData("RCPT TO:<a@example.com>", "503 5.5.1")]
    [InlineData("DATA", "503 5.5.1")]
    [InlineData("MAIL FROM:a@example.org", "501 5.5.4")]
    [InlineData("MAIL FROM:<not an address>", "501 5.1.7")]
    [InlineData("MAIL FROM:<user@bad_domain!>", "501 5.1.7")]
    [InlineData("MAIL FROM:<a@example.org> XFOO=1", "555 5.5.4")]
    [InlineData("MAIL FROM:<a@example.org> SIZE=ten", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.org> SIZE=1 SIZE=2", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.org> BODY=BINARYMIME", "501 5.5.4")]
    [InlineData("MAIL FROM:<a@example.org> =x", "501 5.5.4")]
    [InlineData("HELO", "501 5.5.4")]
    [InlineData("EHLO two words", "501 5.5.4")]
    [InlineData("RSET now", "501 5.5.4")]
    [InlineData("XYZZY", "500 5.5.2")]
    [InlineData("MAILFROM:<a@example.org>", "500 5.5.2")]
    [InlineData("NOOP\nQUIT", "500 5.5.2")]
    [InlineData("NOOP\rQUIT", "500 5.5.2")]
    public async Task Command_Refused_GetsPreciseReplyAndSessionContinues(string command, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await client.CommandAsync(command, expected);
        await client.CommandAsync("NOOP", "250 2.0.0");
    }

    [Theory]
    [InlineData("RCPT TO:<nobody>", "501 5.1.3")]
    [InlineData("RCPT TO:<>", "501 5.1.3")]
    [InlineData("RCPT TO:<a@example.com> NOTIFY=SOMETIMES", "501 5.5.4")]
    [InlineData("RCPT TO:<a@example.com> XFOO=1", "555 5.5.4")]
    [InlineData("RCPT TO:a@example.com", "501 5.5.4")]
    [InlineData("MAIL FROM:<again@example.org>", "503 5.5.1")]
    public async Task Command_RefusedInTransaction_KeepsTheTransaction(string command, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");

        await client.CommandAsync(command, expected);
        await client.CommandAsync("RCPT TO:<b@example.com>", "250 2.1.5");
    }

    [Fact]
    public async Task Command_LineTooLong_IsRefusedOnceAndTheNextLineIsRead()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        await client.SendAsync("NOOP " + new string('x', 5000) + "\r\nNOOP\r\n");

        await client.ExpectAsync("500 5.5.2 Line too long");
        await client.ExpectAsync("250 2.0.0");
    }

    [Fact]
    public async Task Data_SpoolFailsOnCommit_Answers451AndSessionStaysUsable()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        edge.Spool.FailCommit = true;
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await SendTransactionAsync(client);
        await client.SendAsync(Message);
        var reply = await client.ExpectAsync("451 4.3.0");

        Assert.DoesNotContain("storage", reply, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(edge.Spool.Committed);
        Assert.Equal(1, edge.Spool.Aborted);
        await client.CommandAsync("RCPT TO:<b@example.com>", "503 5.5.1");

        edge.Spool.FailCommit = false;
        await SendTransactionAsync(client);
        await client.SendAsync(Message);
        await client.ExpectAsync("250 2.0.0 Ok: queued as ");
        Assert.Single(edge.Spool.Committed);
    }

    [Theory]
    [InlineData("smuggled\n.\r\nMAIL FROM:<evil@example.org>\r\n.\r\n")]
    [InlineData("smuggled\r\n.\nMAIL FROM:<evil@example.org>\r\n.\r\n")]
    [InlineData("bare\rcarriage return\r\n.\r\n")]
    public async Task Data_BareCrOrLf_RefusesTheWholeMessageAndReadsToTheRealEnd(string data)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();
        await SendTransactionAsync(client);

        await client.SendAsync(data + "NOOP\r\n");

        await client.ExpectAsync("550 5.6.11");
        await client.ExpectAsync("250 2.0.0");
        Assert.Empty(edge.Spool.Committed);
        Assert.Equal(1, edge.Spool.Aborted);
    }

    [Fact]
    public async Task Data_ClientDisconnectsMidMessage_AbortsTheTransaction()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using (var client = await edge.ConnectAsync())
        {
            await client.GreetAsync();
            await SendTransactionAsync(client);
            await client.SendAsync("Subject: unfinished\r\n");
        }

        Assert.Equal(1, await edge.Spool.WaitForAbortedAsync(1));
        Assert.Empty(edge.Spool.Committed);
    }

    [Fact]
    public async Task Session_IdleClient_Gets421AndIsDisconnected()
    {
        await using var edge = await EdgeServer.StartAsync(storage, commandTimeout: TimeSpan.FromMilliseconds(300));
        await using var client = await edge.ConnectAsync();
        await client.ExpectAsync("220 ");

        await client.ExpectAsync("421 4.4.2");
        await client.ExpectClosedAsync();
    }

    [Fact]
    public async Task Service_Stopping_Tells421AndClosesOpenSessions()
    {
        var edge = await EdgeServer.StartAsync(storage);
        await using var client = await edge.ConnectAsync();
        await client.GreetAsync();

        await edge.DisposeAsync();

        await client.ExpectAsync("421 4.3.2");
        await client.ExpectClosedAsync();
    }

    /// <summary>Pipelines MAIL, two RCPTs and DATA in one write and reads their replies up to the 354.</summary>
    private static async Task SendTransactionAsync(SmtpWireClient client)
    {
        await client.SendAsync(Transaction);
        await ExpectTransactionAcceptedAsync(client);
    }

    /// <summary>Reads the replies to <see cref="Transaction"/>, however it was written: MAIL, two RCPTs, then DATA's 354.</summary>
    private static async Task ExpectTransactionAcceptedAsync(SmtpWireClient client)
    {
        await client.ExpectAsync("250 2.1.0");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("250 2.1.5");
        await client.ExpectAsync("354 ");
    }
}
