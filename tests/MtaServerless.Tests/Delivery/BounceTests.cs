using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>RFC 3464 DSNs: their structure parsed back with MimeKit, NOTIFY and RET, the null sender, failures decided in Ingest, expiry and delay warnings on a fake clock.</summary>
public sealed class BounceTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Arrival = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(15);
    private readonly FakeTimeProvider _time = new(Arrival);
    private readonly List<IAsyncDisposable> _disposables = [];
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(
        azurite,
        new Dictionary<string, string?> { ["Pipeline:DelayWarningAfter"] = "04:00:00", ["Pipeline:Backoff"] = "00:10:00" },
        _time);

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_RecipientsRejected_OneDsnFromNullSenderListsEveryFailedRecipient()
    {
        var server = Server(new SmtpScript { Rcpt = (r, _) => r.StartsWith("ok", StringComparison.Ordinal) ? "250 2.1.5 Ok" : "550 5.1.1 No such user" });
        var task = await _pipeline.NewTaskAsync(
            Smarthost(server),
            ["ok@example.com", "gone1@example.com", "gone2@example.com", "quiet@example.com"],
            firstAttempt: Arrival,
            dsn: r => r switch
            {
                "gone1@example.com" => (DsnNotify.Failure, new OriginalRecipient("rfc822", "Gone1@Example.com")),
                "quiet@example.com" => (DsnNotify.Never, null),
                _ => (DsnNotify.None, null),
            });

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var (document, dsn) = Assert.Single(await _pipeline.DsnsAsync());
        Assert.Equal(string.Empty, document.Envelope.MailFrom);
        Assert.Equal([PipelineHarness.Sender], document.Envelope.Recipients.Select(r => r.Address));
        Assert.Equal(PipelineHarness.Sender, Assert.Single(dsn.To.Mailboxes).Address);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal(3, report.Count);
        Assert.Contains("<gone1@example.com>: 550 5.1.1 No such user", Assert.IsType<TextPart>(report[0]).Text, StringComparison.Ordinal);

        var groups = Groups(dsn);
        Assert.Equal(3, groups.Count);
        Assert.Equal("dns; relay.test", groups[0]["Reporting-MTA"]);
        Assert.Equal(MimeKit.Utils.DateUtils.FormatDate(Arrival), groups[0]["Arrival-Date"]);
        var gone1 = groups[1];
        Assert.Equal("rfc822; Gone1@Example.com", gone1["Original-Recipient"]);
        Assert.Equal("rfc822; gone1@example.com", gone1["Final-Recipient"]);
        Assert.Equal("failed", gone1["Action"]);
        Assert.Equal("5.1.1", gone1["Status"]);
        Assert.Equal("dns; 127.0.0.1", gone1["Remote-MTA"]);
        Assert.Equal("smtp; 550 5.1.1 No such user", gone1["Diagnostic-Code"]);
        Assert.Equal("rfc822; gone2@example.com", groups[2]["Final-Recipient"]);
        Assert.Null(groups[2]["Original-Recipient"]);

        var returned = Assert.IsType<MessagePart>(report[2]).Message!;
        Assert.Equal("hi", returned.Subject);
        Assert.StartsWith("from a ([127.0.0.1]) by edge.test", returned.Headers[HeaderId.Received], StringComparison.Ordinal);
        Assert.Equal("Hello", returned.TextBody!.Trim());
    }

    [Fact]
    public async Task Deliver_RetHdrs_ReturnsOnlyTheHeaders()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "550 5.7.1 Rejected" });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival, ret: DsnReturn.Headers);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var report = Assert.IsType<MultipartReport>(Assert.Single(await _pipeline.DsnsAsync()).Message.Body);
        var headers = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("text/rfc822-headers", headers.ContentType.MimeType);
        Assert.Equal("hi", headers.Message!.Subject);
        using var written = new MemoryStream();
        await headers.WriteToAsync(written);
        Assert.DoesNotContain("Hello", System.Text.Encoding.UTF8.GetString(written.ToArray()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1_000, true)]
    [InlineData(60_000, false)]
    public async Task Deliver_RetFull_ReturnsTheWholeMessageOnlyUpToTheLimitAndSaysWhatIsAttached(int bodySize, bool whole)
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "550 5.1.1 No such user" });
        var stored = "Subject: big\r\nMessage-ID: <big@example.org>\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 98) + "\r\n", bodySize / 100));
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival, stored: stored, ret: DsnReturn.Full);

        await _pipeline.Deliver.RunAsync(task with { EnvId = "env+1" }, CancellationToken.None);

        var (_, dsn) = Assert.Single(await _pipeline.DsnsAsync());
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        var text = Assert.IsType<TextPart>(report[0]).Text;
        if (whole)
        {
            Assert.Equal("big", Assert.IsType<MessagePart>(report[2]).Message!.Subject);
            Assert.Contains("It is attached below.", text, StringComparison.Ordinal);
        }
        else
        {
            // Postfix's bounce_size_limit: above it a failure report returns the headers, and says so.
            Assert.Equal("big", Assert.IsType<TextRfc822Headers>(report[2]).Message!.Subject);
            Assert.Contains("Its headers are attached below.", text, StringComparison.Ordinal);
            Assert.DoesNotContain("It is attached", text, StringComparison.Ordinal);
        }

        // ENVID is kept decoded and printed as the client meant it (RFC 3464 2.2.1).
        Assert.Equal("env+1", Groups(dsn)[0]["Original-Envelope-Id"]);
    }

    [Fact]
    public async Task Deliver_NotifySuccessToALocalMailbox_SendsADeliveredReport()
    {
        var task = await _pipeline.NewTaskAsync(new Route("example.net", RouteAction.Mailbox), ["bob@example.net", "carol@example.net"], firstAttempt: Arrival, dsn: r => (r.StartsWith("bob", StringComparison.Ordinal) ? DsnNotify.Success : DsnNotify.None, null));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var (document, dsn) = Assert.Single(await _pipeline.DsnsAsync());
        Assert.Equal(string.Empty, document.Envelope.MailFrom);
        Assert.Equal("Successful Mail Delivery Report", dsn.Subject);
        var groups = Groups(dsn);
        Assert.Equal(("rfc822; bob@example.net", "delivered", "2.0.0"), (groups[1]["Final-Recipient"], groups[1]["Action"], groups[1]["Status"]));
        Assert.Equal(2, groups.Count);
        Assert.IsType<TextRfc822Headers>(Assert.IsType<MultipartReport>(dsn.Body)[2]);
    }

    [Theory]
    [InlineData(false, "relayed")]
    [InlineData(true, null)]
    public async Task Deliver_NotifySuccessRelayed_ReportsRelayedOnlyWhenTheHopCannotReport(bool hopOffersDsn, string? action)
    {
        var server = Server(new SmtpScript { Dsn = hopOffersDsn });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival, dsn: _ => (DsnNotify.Success, null));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        var dsns = await _pipeline.DsnsAsync();
        Assert.Equal(action, dsns.Select(d => Groups(d.Message)[1]["Action"]).SingleOrDefault());
        Assert.Equal(hopOffersDsn, Assert.Single(server.Accepted).RcptLines[0].Contains(" NOTIFY=SUCCESS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deliver_MessageFromNullSender_IsNeverBounced()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "550 5.1.1 No such user" });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival, mailFrom: string.Empty);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Bounced, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Empty(await _pipeline.DsnsAsync());
    }

    [Fact]
    public async Task Deliver_TransientFailurePastTheLifetime_BouncesWithADsn()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival);
        _time.Advance(TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1));

        await _pipeline.Deliver.RunAsync(task with { Attempt = 9 }, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Bounced, 9), (record.Status, record.Attempts));
        Assert.Equal("451 4.2.1 Try later (gave up after 120 hours)", record.LastReply);
        Assert.Equal(0, await _pipeline.QueuedTaskCountAsync());
        var groups = Groups(Assert.Single(await _pipeline.DsnsAsync()).Message);
        Assert.Equal(("failed", "4.2.1"), (groups[1]["Action"], groups[1]["Status"]));
    }

    [Fact]
    public async Task Deliver_DeferredJustBeforeTheLifetimeEnds_RetriesOnceMoreAtItsEnd()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival);
        _time.Advance(TimeSpan.FromDays(5) - TimeSpan.FromSeconds(2));

        await _pipeline.Deliver.RunAsync(task with { Attempt = 4 }, CancellationToken.None);

        // The schedule says 10 minutes; the lifetime leaves 2 seconds, so the retry comes then instead.
        var retry = await _pipeline.NextTaskAsync(TimeSpan.FromSeconds(15));
        Assert.Equal((5, Arrival), (retry.Attempt, retry.FirstAttemptAt));
        _time.Advance(TimeSpan.FromSeconds(2));
        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Bounced, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(
            ["Delayed Mail (still being retried)", "Undelivered Mail Returned to Sender"],
            (await _pipeline.DsnsAsync()).Select(d => d.Message.Subject));
    }

    [Fact]
    public async Task Deliver_DeferredPastTheWarningTime_SendsOneDelayedDsnAndMarksTheRetry()
    {
        var pipeline = await QuickRetriesAsync(new Dictionary<string, string?> { ["Pipeline:DelayWarningAfter"] = "04:00:00" });
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival);

        _time.Advance(TimeSpan.FromHours(1));
        await pipeline.Deliver.RunAsync(task, CancellationToken.None);
        var second = await pipeline.NextTaskAsync(RetryWait);
        Assert.Empty(await pipeline.DsnsAsync());
        Assert.Equal((2, false), (second.Attempt, second.DelayWarned));

        _time.Advance(TimeSpan.FromHours(4));
        await pipeline.Deliver.RunAsync(second, CancellationToken.None);
        var third = await pipeline.NextTaskAsync(RetryWait);
        Assert.Equal((3, true), (third.Attempt, third.DelayWarned));

        _time.Advance(TimeSpan.FromHours(1));
        await pipeline.Deliver.RunAsync(third, CancellationToken.None);
        var fourth = await pipeline.NextTaskAsync(RetryWait);
        Assert.Equal((4, true), (fourth.Attempt, fourth.DelayWarned));

        var dsn = Assert.Single(await pipeline.DsnsAsync()).Message;
        Assert.Equal("Delayed Mail (still being retried)", dsn.Subject);
        var status = Groups(dsn)[1];
        Assert.Equal(("delayed", "4.2.1"), (status["Action"], status["Status"]));
        Assert.Equal(MimeKit.Utils.DateUtils.FormatDate(Arrival + TimeSpan.FromDays(5)), status["Will-Retry-Until"]);
        var record = await pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Deferred, 3), (record.Status, record.Attempts));
    }

    [Fact]
    public async Task Deliver_DeferredForDaysWithNoWarningTimeConfigured_SendsNoDelayedDsn()
    {
        var pipeline = await QuickRetriesAsync(new Dictionary<string, string?>());
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        var task = await pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], firstAttempt: Arrival);

        foreach (var elapsed in new[] { TimeSpan.FromHours(1), TimeSpan.FromHours(5), TimeSpan.FromDays(4) })
        {
            _time.SetUtcNow(Arrival + elapsed);
            await pipeline.Deliver.RunAsync(task, CancellationToken.None);
            task = await pipeline.NextTaskAsync(RetryWait);
            Assert.False(task.DelayWarned);
        }

        Assert.Empty(await pipeline.DsnsAsync());
        var record = await pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Deferred, 3), (record.Status, record.Attempts));
        Assert.Equal(3, server.Connections);
    }

    [Fact]
    public async Task Ingest_RejectRouteAndLoop_BounceInOneDsnEach()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        await _pipeline.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("blocked.example", RouteAction.Reject, RejectText: "Not here")), TableUpdateMode.Replace);
        await _pipeline.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(Smarthost(server)), TableUpdateMode.Replace);
        var rejected = await InboundAsync(receivedHeaders: 1, "a@blocked.example", "b@blocked.example", "c@elsewhere.example");
        var looping = await InboundAsync(receivedHeaders: 50, "c@elsewhere.example");

        await _pipeline.Ingest.RunAsync(rejected, CancellationToken.None);
        await _pipeline.Ingest.RunAsync(looping, CancellationToken.None);
        await _pipeline.Ingest.RunAsync(rejected, CancellationToken.None);

        var dsns = (await _pipeline.DsnsAsync()).Select(d => Groups(d.Message)).ToList();
        Assert.Equal(2, dsns.Count);
        Assert.Equal(["rfc822; a@blocked.example", "rfc822; b@blocked.example"], dsns[0].Skip(1).Select(g => g["Final-Recipient"]));
        Assert.Equal("5.7.1", dsns[0][1]["Status"]);
        Assert.Equal("5.4.6", dsns[1][1]["Status"]);
        var loop = await _pipeline.RecordAsync(looping.Id, "c@elsewhere.example");
        Assert.Equal((DeliveryStatus.Bounced, "554 5.4.6 Routing loop detected: too many Received headers"), (loop.Status, loop.LastReply));
        // The routed recipient had its first attempt in the first run only: the replay queued its retry.
        Assert.Equal(DeliveryStatus.Deferred, (await _pipeline.RecordAsync(rejected.Id, "c@elsewhere.example")).Status);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Ingest_FortyNineReceivedHeaders_IsNotALoop()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        await _pipeline.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(Smarthost(server)), TableUpdateMode.Replace);
        var message = await InboundAsync(receivedHeaders: 49, "c@elsewhere.example");

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Deferred, (await _pipeline.RecordAsync(message.Id, "c@elsewhere.example")).Status);
        Assert.Equal(1, server.Connections);
        Assert.Empty(await _pipeline.DsnsAsync());
    }

    [Fact]
    public async Task Deliver_CrashBetweenTheBounceAndItsDsn_TheNextRunSendsTheDsnOnceWithoutResending()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "550 5.1.1 No such user" });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["gone@example.com"], firstAttempt: Arrival);
        await _pipeline.Storage.Inbound.DeleteAsync();

        await Assert.ThrowsAnyAsync<IOException>(() => _pipeline.Deliver.RunAsync(task, CancellationToken.None));
        var owed = await _pipeline.RecordAsync(task.Id, "gone@example.com");
        await _pipeline.Storage.Inbound.CreateAsync();
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal((DeliveryStatus.Bounced, true), (owed.Status, owed.DsnPending));
        Assert.Equal("5.1.1", Groups(Assert.Single(await _pipeline.DsnsAsync()).Message)[1]["Status"]);
        Assert.False((await _pipeline.RecordAsync(task.Id, "gone@example.com")).DsnPending);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Ingest_CrashBetweenTheRejectionAndItsDsn_TheReplaySendsTheDsnOnce()
    {
        await _pipeline.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("blocked.example", RouteAction.Reject, RejectText: "Not here")), TableUpdateMode.Replace);
        var message = await InboundAsync(receivedHeaders: 1, "a@blocked.example");
        await _pipeline.Storage.Inbound.DeleteAsync();

        await Assert.ThrowsAnyAsync<IOException>(() => _pipeline.Ingest.RunAsync(message, CancellationToken.None));
        await _pipeline.Storage.Inbound.CreateAsync();
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        Assert.Equal("5.7.1", Groups(Assert.Single(await _pipeline.DsnsAsync()).Message)[1]["Status"]);
        Assert.False((await _pipeline.RecordAsync(message.Id, "a@blocked.example")).DsnPending);
    }

    [Fact]
    public async Task Ingest_ReplayWhileDeliverOwesADsn_LeavesTheDsnToDeliver()
    {
        var server = Server(new SmtpScript { Rcpt = (_, _) => "451 4.2.1 Try later" });
        await _pipeline.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(Smarthost(server)), TableUpdateMode.Replace);
        var message = await InboundAsync(receivedHeaders: 1, "bob@example.com");
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        // The retry's run (its task as the queue holds it, ten minutes away) bounced the recipient and crashed before its DSN.
        var retry = Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).TaskFor(["bob@example.com"], attempt: 2, delayWarned: false);
        var record = await _pipeline.RecordAsync(message.Id, "bob@example.com");
        (record.Status, record.LastReply, record.Attempts, record.DsnPending) = (DeliveryStatus.Bounced, "550 5.1.1 No such user", 2, true);
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag, TableUpdateMode.Replace);

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        var afterReplay = await _pipeline.DsnsAsync();
        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        Assert.Empty(afterReplay);
        Assert.Equal("5.1.1", Groups(Assert.Single(await _pipeline.DsnsAsync()).Message)[1]["Status"]);
        Assert.Equal(1, server.Connections);
    }

    private async Task<InboundMessage> InboundAsync(int receivedHeaders, params string[] recipients)
    {
        var id = Guid.CreateVersion7().ToString("N");
        var blob = $"2026/11/28/{id}.eml";
        var trace = string.Concat(Enumerable.Range(0, receivedHeaders).Select(i => $"Received: from hop{i}.example by hop{i + 1}.example; Sat, 28 Nov 2026 11:00:00 +0000\r\n"));
        await _pipeline.Storage.Spool.GetBlobClient(blob).UploadAsync(BinaryData.FromString(trace + PipelineHarness.StoredMessage));
        return new InboundMessage(
            id,
            blob,
            new Envelope(PipelineHarness.Sender, recipients.Select(r => new EnvelopeRecipient(r)).ToList()),
            new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", Arrival, "edge.test"),
            ReceivedHeaders: receivedHeaders);
    }

    /// <summary>The per-message group, then one per recipient; MimeKit's parser adds an empty group for the closing blank line.</summary>
    private static List<HeaderList> Groups(MimeMessage dsn) =>
        Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(dsn.Body)[1]).StatusGroups.Where(g => g.Count > 0).ToList();

    /// <summary>
    /// A pipeline on this class's storage and clock with the harness's one-second backoff, so that a test
    /// takes its real retries off the queue instead of building them; <paramref name="settings"/> come on top.
    /// </summary>
    private async Task<PipelineHarness> QuickRetriesAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var pipeline = await PipelineHarness.StartAsync(azurite, settings, _time);
        _disposables.Add(pipeline);
        return pipeline;
    }

    private ScriptedSmtpServer Server(SmtpScript script)
    {
        var server = ScriptedSmtpServer.Start("127.0.0.1", 0, script);
        _disposables.Add(server);
        return server;
    }

    private static Route Smarthost(ScriptedSmtpServer server) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.None);
}
