using System.Text;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// A real Postfix as the next hop (a smarthost route to its smtpd on loopback), in the ways ordinary MTAs
/// behave: it refuses a sender at MAIL while the RCPTs are pipelined, leaves 8BITMIME or SMTPUTF8 out of
/// its EHLO, offers a STARTTLS that cannot work, and takes DSN requests.
/// </summary>
public sealed class PostfixNextHopTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    private PipelineHarness _pipeline = null!;
    private PostfixNextHop? _postfix;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync()
    {
        if (_postfix is not null)
        {
            await _postfix.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_SenderRefusedWith450AtMailWhilePipelining_EveryRecipientDeferredByTheMailReply()
    {
        var postfix = await StartAsync(new PostfixSettings
        {
            // What reject_unknown_sender_domain answers, without the DNS lookup that would leave loopback.
            SenderReplies = new Dictionary<string, string> { ["unknown-sender.example"] = "450 4.1.8 Domain not found" },
        });
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [$"bob@{PostfixNextHop.Domain}", $"carol@{PostfixNextHop.Domain}"], mailFrom: "alice@unknown-sender.example");

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        foreach (var recipient in task.Recipients)
        {
            var record = await _pipeline.RecordAsync(task.Id, recipient);
            Assert.Equal(DeliveryStatus.Deferred, record.Status);
            Assert.Equal("450 4.1.8 <alice@unknown-sender.example>: Sender address rejected: Domain not found", record.LastReply);
            Assert.True(record.ReplyFromHost);
        }

        Assert.Empty(await _pipeline.DsnsAsync());
        Assert.Equal(1, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Deliver_AuthenticationRequiredAtMail_IsAnOutcomeThatBouncesNotAPoisonedTask()
    {
        var postfix = await StartAsync(new PostfixSettings
        {
            SenderReplies = new Dictionary<string, string> { ["example.org"] = "530 5.7.0 Authentication required" },
        });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, recipient);
        Assert.Equal((DeliveryStatus.Bounced, true), (record.Status, record.ReplyFromHost));
        Assert.StartsWith("530 5.7.0 ", record.LastReply, StringComparison.Ordinal);
        Assert.Single(await _pipeline.DsnsAsync());
    }

    [Fact]
    public async Task Deliver_StartTlsThatCannotWork_OpportunisticTlsDeliversInPlaintext()
    {
        var postfix = await StartAsync(new PostfixSettings { BrokenTls = true });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix, TlsMode.Opportunistic), [recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
        var copy = Encoding.UTF8.GetString(await postfix.WaitForDeliveredToAsync(recipient, DeliveryWait));
        // Postfix's own Received says how the message came: plain ESMTP, not ESMTPS.
        Assert.Contains("with ESMTP id", copy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_StartTlsThatCannotWork_RequiredTlsDefers()
    {
        var postfix = await StartAsync(new PostfixSettings { BrokenTls = true });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix, TlsMode.Required), [recipient]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, recipient);
        Assert.Equal((DeliveryStatus.Deferred, false), (record.Status, record.ReplyFromHost));
        Assert.StartsWith("451 4.4.1 ", record.LastReply, StringComparison.Ordinal);
        Assert.Empty(postfix.Delivered());
    }

    [Fact]
    public async Task Deliver_EightBitBodyToAHopWithout8BitMime_ArrivesConvertedToSevenBits()
    {
        var postfix = await StartAsync(new PostfixSettings { DiscardEhloKeywords = ["8bitmime"] });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [recipient], storedBytes: RelayCorpus.Messages["eight-bit-body"].Stored, body: "8BITMIME");

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
        var copy = await postfix.WaitForDeliveredToAsync(recipient, DeliveryWait);
        Assert.DoesNotContain(copy, b => b > 127);
        var message = MimeMessage.Load(new MemoryStream(copy));
        var part = Assert.IsType<TextPart>(message.Body);
        Assert.Contains(part.ContentTransferEncoding, new[] { ContentEncoding.QuotedPrintable, ContentEncoding.Base64 });
        Assert.Equal("ÄÖÜäöüß\n", part.Text.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal("latin-1", message.Subject);
    }

    [Fact]
    public async Task Deliver_EightBitHeaderFieldsToAHopWithout8BitMime_BounceWith5_6_3()
    {
        var postfix = await StartAsync(new PostfixSettings { DiscardEhloKeywords = ["8bitmime"] });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [recipient], stored: "Subject: Grüße\r\n\r\nbody\r\n");

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, recipient);
        Assert.Equal(DeliveryStatus.Bounced, record.Status);
        Assert.StartsWith("554 5.6.3 ", record.LastReply, StringComparison.Ordinal);
        Assert.Empty(postfix.Delivered());
    }

    [Fact]
    public async Task Deliver_SmtpUtf8DeclaredForAnAsciiMessage_IsRelayedToAHopWithoutSmtpUtf8()
    {
        var postfix = await StartAsync(new PostfixSettings { DiscardEhloKeywords = ["smtputf8"] });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [recipient], smtpUtf8: true);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
        await postfix.WaitForDeliveredToAsync(recipient, DeliveryWait);
    }

    [Fact]
    public async Task Deliver_InternationalRecipientToAHopWithoutSmtpUtf8_BouncesWith5_6_7()
    {
        var postfix = await StartAsync(new PostfixSettings { DiscardEhloKeywords = ["smtputf8"] });
        var recipient = $"jösé@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(Smarthost(postfix), [recipient], smtpUtf8: true);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, recipient);
        Assert.Equal(DeliveryStatus.Bounced, record.Status);
        Assert.StartsWith("550 5.6.7 ", record.LastReply, StringComparison.Ordinal);
        Assert.Empty(postfix.Delivered());
    }

    [Fact]
    public async Task Deliver_HopOffersDsn_TakesNotifyOrcptAndEnvIdEncodedOnceAndReportsSuccessItself()
    {
        await using var senderMailbox = SmtpSink.Start();
        var postfix = await StartAsync(new PostfixSettings { RelayHostPort = senderMailbox.Port });
        var recipient = $"bob@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(
            Smarthost(postfix),
            [recipient],
            ret: DsnReturn.Headers,
            dsn: _ => (DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", "Old+Name@example.com")));

        await _pipeline.Deliver.RunAsync(task with { EnvId = "env+1 2" }, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
        var report = MimeMessage.Load(new MemoryStream((await senderMailbox.WaitForAcceptedAsync(1, DeliveryWait)).Data));
        var status = Assert.Single(report.BodyParts.OfType<MessageDeliveryStatus>());
        Assert.Equal("env+1 2", status.StatusGroups[0]["Original-Envelope-Id"]);
        Assert.Equal("rfc822;Old+Name@example.com", status.StatusGroups[1]["Original-Recipient"]);
        Assert.Equal("delivered", status.StatusGroups[1]["Action"]);
        // The hop took the request: the success report is Postfix's, none comes from us.
        Assert.Empty(await _pipeline.DsnsAsync());
    }

    private async Task<PostfixNextHop> StartAsync(PostfixSettings settings) => _postfix = await PostfixNextHop.StartAsync(settings);

    private static Route Smarthost(PostfixNextHop postfix, TlsMode tls = TlsMode.None) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", postfix.Port, tls);
}
