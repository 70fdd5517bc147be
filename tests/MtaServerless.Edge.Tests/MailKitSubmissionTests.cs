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
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var recorded = Assert.Single(edge.Spool.Committed);
        using var expected = new MemoryStream();
        await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos, EnsureNewLine = true }, expected);
        Assert.Equal(expected.ToArray(), recorded.Body);
        Assert.Equal("sender@example.org", recorded.Envelope.MailFrom);
        Assert.Equal(["first@example.com", "second@example.net"], recorded.Envelope.Recipients.Select(r => r.Address));
    }
}
