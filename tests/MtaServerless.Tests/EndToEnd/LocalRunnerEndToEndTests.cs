using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// The whole path on real parts: MailKit submits to the edge, Azurite holds blob, queues and tables,
/// the function classes run on the WebJobs queue engine of the local runner, and an independent
/// SMTP server on loopback is the smarthost.
/// </summary>
public sealed class LocalRunnerEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Message_SmarthostRoute_ArrivesWithOneNewReceivedHeaderAndOtherwiseIdenticalBytes()
    {
        await using var sink = SmtpSink.Start();
        using var runner = await StartRunnerAsync(sink.Port);

        var id = await InProcessRunner.SubmitAsync(runner, NewMessage("first"));
        var arrived = await sink.WaitForAcceptedAsync(1, ArrivalTimeout);

        Assert.Equal("alice@example.org", arrived.From);
        Assert.Equal(["bob@example.com"], arrived.To);
        var stored = await SpooledBytesAsync(id);
        var (received, rest) = SplitFirstHeader(arrived.Data);
        Assert.StartsWith("Received: from client.test ([127.0.0.1])", received, StringComparison.Ordinal);
        Assert.Contains("by edge.test with ESMTP", received, StringComparison.Ordinal);
        Assert.Contains($"id {id} for <bob@example.com>;", Unfold(received), StringComparison.Ordinal);
        Assert.Equal(stored, rest);
        Assert.DoesNotContain("Received:", Encoding.ASCII.GetString(rest), StringComparison.OrdinalIgnoreCase);

        var record = await DeliveryRecordAsync(id, "bob@example.com");
        Assert.Equal(DeliveryStatus.Delivered, record.Status);
        Assert.Equal(1, record.Attempts);
        Assert.StartsWith("250 ", record.LastReply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_RemoteAnswers451ThenAccepts_IsDeliveredOnTheRetry()
    {
        await using var sink = SmtpSink.Start(attempt => attempt == 1 ? SmtpSink.Reply(451, "4.3.0 Try again later") : SmtpSink.Reply(250, "2.0.0 Ok"));
        using var runner = await StartRunnerAsync(sink.Port);

        var id = await InProcessRunner.SubmitAsync(runner, NewMessage("retry"));
        var arrived = await sink.WaitForAcceptedAsync(1, ArrivalTimeout);

        Assert.Equal(2, sink.DataAttempts);
        Assert.Single(sink.Accepted);
        Assert.Equal(await SpooledBytesAsync(id), SplitFirstHeader(arrived.Data).Remainder);
        var record = await WaitForStatusAsync(id, "bob@example.com", DeliveryStatus.Delivered);
        Assert.Equal(2, record.Attempts);
    }

    private async Task<IHost> StartRunnerAsync(int smarthostPort)
    {
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route(RouteTable.DefaultPattern, RouteAction.Smarthost, "127.0.0.1", smarthostPort, TlsMode.None, AcceptsInbound: true)),
            TableUpdateMode.Replace);
        return await InProcessRunner.StartAsync(azurite.ConnectionString);
    }

    private async Task<byte[]> SpooledBytesAsync(string id)
    {
        await foreach (var blob in azurite.Storage.Spool.GetBlobsAsync())
        {
            if (blob.Name.EndsWith($"/{id}.eml", StringComparison.Ordinal))
            {
                return (await azurite.Storage.Spool.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToArray();
            }
        }

        throw new InvalidOperationException($"No spool blob for message {id}.");
    }

    private async Task<DeliveryEntity> DeliveryRecordAsync(string id, string recipient) =>
        (await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(id, RecipientKey.Encode(recipient))).Value;

    /// <summary>The sink may have the message a moment before the stage records the reply.</summary>
    private async Task<DeliveryEntity> WaitForStatusAsync(string id, string recipient, string status)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var record = await DeliveryRecordAsync(id, recipient);
            if (record.Status == status || timeout.IsCancellationRequested)
            {
                return record;
            }

            await Task.Delay(100);
        }
    }

    private static MimeMessage NewMessage(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", "alice@example.org"));
        message.To.Add(new MailboxAddress("Bob", "bob@example.com"));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Hello Bob,\r\n.a line that starts with a dot\r\n\r\nAlice\r\n" };
        return message;
    }

    /// <summary>Splits off the first header field, continuation lines included.</summary>
    private static (string Header, byte[] Remainder) SplitFirstHeader(byte[] data)
    {
        var end = 0;
        while (true)
        {
            end = Array.IndexOf(data, (byte)'\n', end) + 1;
            Assert.True(end > 0, "The message has no complete first header.");
            if (data[end] is not ((byte)' ' or (byte)'\t'))
            {
                return (Encoding.ASCII.GetString(data, 0, end), data[end..]);
            }
        }
    }

    private static string Unfold(string header) => header.Replace("\r\n\t", " ", StringComparison.Ordinal).Replace("\r\n ", " ", StringComparison.Ordinal);
}
