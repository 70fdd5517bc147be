using System.Security.Cryptography;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace MtaServerless.Edge.Tests;

/// <summary>A real SMTP client (MailKit) against the edge: what it sends is exactly what reaches the spool.</summary>
public sealed class MailKitSubmissionTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    [Fact]
    public async Task SmtpClient_SendsOneMessage_SpoolReceivesTheSameBytes()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.org"));
        message.To.Add(new MailboxAddress("First", "first@example.com"));
        message.Cc.Add(new MailboxAddress("Second", "second@example.net"));
        message.Subject = "Walking skeleton";
        message.Body = new TextPart("plain") { Text = "Hello edge.\n.A line that starts with a dot.\n..and two.\n.\nThe end.\n" };

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync(edge.Endpoint.Address.ToString(), edge.Endpoint.Port, SecureSocketOptions.None);
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Chunking));
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var recorded = Assert.Single(edge.Spool.Committed);
        Assert.Equal(await BytesOfAsync(message), recorded.Body);
        Assert.Equal("sender@example.org", recorded.Envelope.MailFrom);
        Assert.Equal(["first@example.com", "second@example.net"], recorded.Envelope.Recipients.Select(r => r.Address));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SmtpClient_DataOrBdat_DeliversTheSameBytes(bool chunking)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        var message = Text("plain@example.com", "Line one.\n.dotted\n\nLast.\n");

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", edge.Endpoint.Port, SecureSocketOptions.None);
            if (!chunking)
            {
                client.Capabilities &= ~SmtpCapabilities.Chunking;
            }

            await client.SendAsync(message);
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        Assert.Equal(2, edge.Spool.Committed.Count);
        var expected = await BytesOfAsync(message);
        Assert.All(edge.Spool.Committed, m => Assert.Equal(expected, m.Body));
    }

    [Fact]
    public async Task SmtpClient_Utf8Addresses_SendsWithSmtpUtf8()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Jörg", "jörg@example.org"));
        message.To.Add(new MailboxAddress("Käthe", "käthe@bücher.test"));
        message.Subject = "Grüße";
        message.Body = new TextPart("plain") { Text = "Schöne Grüße.\n" };

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", edge.Endpoint.Port, SecureSocketOptions.None);
            Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.UTF8));
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var envelope = Assert.Single(edge.Spool.Committed).Envelope;
        Assert.True(envelope.SmtpUtf8);
        Assert.Equal("jörg@example.org", envelope.MailFrom);
        Assert.Equal("käthe@xn--bcher-kva.test", Assert.Single(envelope.Recipients).Address);
    }

    [Fact]
    public async Task SmtpClient_30MegabyteMessage_IsStreamedInSmallWrites()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        // Base64 makes 22 MiB of random bytes a message of about 30 MiB.
        var body = new byte[22 * 1024 * 1024];
        RandomNumberGenerator.Fill(body);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.org"));
        message.To.Add(new MailboxAddress("Big", "big@example.com"));
        message.Subject = "Large";
        message.Body = new MimePart("application", "octet-stream")
        {
            Content = new MimeContent(new MemoryStream(body)),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = "large.bin",
        };

        using (var client = new SmtpClient())
        {
            await client.ConnectAsync("127.0.0.1", edge.Endpoint.Port, SecureSocketOptions.None);
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var recorded = Assert.Single(edge.Spool.Committed);
        Assert.Equal(SHA256.HashData(await BytesOfAsync(message)), SHA256.HashData(recorded.Body));
        Assert.True(recorded.Body.Length > 29 * 1024 * 1024);
        Assert.InRange(edge.Spool.LargestWrite, 1, 64 * 1024);
        Assert.True(edge.Spool.Writes > recorded.Body.Length / (64 * 1024));
    }

    [Fact]
    public async Task SmtpClient_MessageOverTheSizeLimit_IsRefusedWith552()
    {
        await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?> { ["Edge:Limits:MaxMessageSize"] = "2048" });
        var message = Text("big@example.com", new string('x', 70) + "\n" + string.Concat(Enumerable.Repeat(new string('y', 70) + "\n", 60)));

        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", edge.Endpoint.Port, SecureSocketOptions.None);
        Assert.Equal(2048u, client.MaxSize);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(message));
        Assert.Equal(SmtpStatusCode.ExceededStorageAllocation, error.StatusCode);
        Assert.Empty(edge.Spool.Committed);
    }

    private static MimeMessage Text(string to, string text)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", "sender@example.org"));
        message.To.Add(new MailboxAddress("To", to));
        message.Subject = "Text";
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    private static async Task<byte[]> BytesOfAsync(MimeMessage message)
    {
        using var stream = new MemoryStream();
        await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos, EnsureNewLine = true }, stream);
        return stream.ToArray();
    }
}
