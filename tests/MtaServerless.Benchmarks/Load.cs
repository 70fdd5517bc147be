using System.Collections.Concurrent;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace MtaServerless.Benchmarks;

/// <summary>One message as the driver sent it: the edge's queue id, when its 250 came, and its recipients.</summary>
internal sealed record Sent(string Id, DateTimeOffset AcceptedAt, IReadOnlyList<string> Recipients);

/// <summary>MailKit clients against the edge, each on one connection, with 10 KiB messages.</summary>
internal static class Load
{
    /// <summary>The multi-recipient messages' domains: each has its own route, so each is a relay transaction of its own.</summary>
    public static readonly string[] Domains = ["one.example", "two.example", "three.example"];

    private static readonly string Text = string.Concat(Enumerable.Repeat(new string('x', 76) + "\r\n", 10 * 1024 / 78));

    /// <summary>One recipient under the default route, or <paramref name="count"/> spread over <see cref="Domains"/>.</summary>
    public static IReadOnlyList<string> Recipients(int count) => count == 1
        ? ["rcpt0@example.com"]
        : [.. Enumerable.Range(0, count).Select(r => $"rcpt{r}@{Domains[r % Domains.Length]}")];

    /// <summary><paramref name="clients"/> clients at once, until <paramref name="messages"/> are accepted.</summary>
    public static async Task<IReadOnlyList<Sent>> ConcurrentAsync(int port, int messages, int clients, IReadOnlyList<string> recipients, SenderDomain sender)
    {
        var sent = new ConcurrentBag<Sent>();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            using var smtp = await ConnectAsync(port);
            // One message object per client, sent again and again: composing is the driver's CPU, not the MTA's.
            var message = sender.Sign(Compose(recipients));
            for (var i = client; i < messages; i += clients)
            {
                sent.Add(await SendAsync(smtp, message, recipients));
            }

            await smtp.DisconnectAsync(true);
        }));
        return [.. sent];
    }

    /// <summary>One message at a time with a random pause between, so that the MTA's queues are idle when each arrives.</summary>
    public static async Task<IReadOnlyList<Sent>> SpacedAsync(int port, int messages, TimeSpan shortestPause, TimeSpan longestPause, IReadOnlyList<string> recipients, SenderDomain sender)
    {
        var sent = new List<Sent>(messages);
        using var smtp = await ConnectAsync(port);
        var message = sender.Sign(Compose(recipients));
        for (var i = 0; i < messages; i++)
        {
            await Task.Delay(shortestPause + ((longestPause - shortestPause) * Random.Shared.NextDouble()));
            sent.Add(await SendAsync(smtp, message, recipients));
        }

        await smtp.DisconnectAsync(true);
        return sent;
    }

    private static async Task<SmtpClient> ConnectAsync(int port)
    {
        var smtp = new SmtpClient { LocalDomain = "bench.client" };
        await smtp.ConnectAsync("127.0.0.1", port, SecureSocketOptions.None);
        return smtp;
    }

    private static MimeMessage Compose(IReadOnlyList<string> recipients)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", $"alice@{SenderDomain.Domain}"));
        message.To.AddRange(recipients.Select(MailboxAddress.Parse));
        message.Subject = "bench";
        message.Body = new TextPart("plain") { Text = Text };
        return message;
    }

    private static async Task<Sent> SendAsync(SmtpClient smtp, MimeMessage message, IReadOnlyList<string> recipients)
    {
        // "250 2.0.0 Ok: queued as {id}": MailKit returns the reply's text.
        var reply = await smtp.SendAsync(message);
        return new Sent(reply[(reply.LastIndexOf(' ') + 1)..], DateTimeOffset.UtcNow, recipients);
    }
}
