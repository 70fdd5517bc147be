using System.Text;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>Random bytes at a live edge: every session ends in a reply or a close, and the edge keeps serving.</summary>
public sealed class SessionFuzzTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private static readonly byte[][] Pieces =
    [
        .. new[] { "EHLO x\r\n", "MAIL FROM:<a@example.org>\r\n", "RCPT TO:<b@example.com>\r\n", "DATA\r\n", "BDAT 7\r\n", "BDAT 3 LAST\r\n", "\r\n.\r\n", "\n.\n", "RSET\r\n", "AUTH LOGIN\r\n", "STARTTLS\r\n", "\r", "\n", "\0", "." }
            .Select(Encoding.ASCII.GetBytes),
        [0xC3, 0x28],
        [0xFF, 0xFE],
        Encoding.ASCII.GetBytes(new string('L', 1200)),
    ];

    [Fact]
    public async Task Session_RandomInput_NeverHangsOrCrashesTheEdge()
    {
        await using var edge = await EdgeServer.StartAsync(storage, commandTimeout: TimeSpan.FromSeconds(2));
        var random = new Random(FuzzBudget.Seed);
        for (var round = 0; round < 40 * FuzzBudget.Scale; round++)
        {
            var input = new List<byte>();
            for (var i = random.Next(1, 40); i > 0; i--)
            {
                if (random.Next(3) == 0)
                {
                    var noise = new byte[random.Next(1, 64)];
                    random.NextBytes(noise);
                    input.AddRange(noise);
                }
                else
                {
                    input.AddRange(Pieces[random.Next(Pieces.Length)]);
                }
            }

            await using var client = await edge.ConnectAsync();
            await client.ExpectAsync("220 ");
            try
            {
                await client.SendAsync([.. input, .. "\r\n.\r\nQUIT\r\n"u8.ToArray()]);
            }
            catch (IOException)
            {
                // The edge may already have closed the session (too many errors): that is an answer too.
            }

            await DrainUntilClosedAsync(client);
        }

        await using var healthy = await edge.ConnectAsync();
        await healthy.GreetAsync();
        await healthy.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        await healthy.CommandAsync("QUIT", "221 2.0.0");
    }

    /// <summary>Reads replies until the edge closes: QUIT, an error limit or the idle timeout, never an endless wait.</summary>
    private static async Task DrainUntilClosedAsync(MtaServerless.Testing.SmtpWireClient client)
    {
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                var reply = await client.ReadReplyAsync();
                Assert.Matches("^[2-5][0-9][0-9][ -]", reply);
            }
            catch (IOException)
            {
                return;
            }
        }

        Assert.Fail("The session never ended.");
    }
}
