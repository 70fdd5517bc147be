using System.Text;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>Smarthost routes (TLS modes, credentials, SMTPUTF8), the per-recipient leases, and local mailboxes.</summary>
public sealed class SmarthostAndMailboxTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?>
    {
        ["Credentials:relay1:UserName"] = "relay-user",
        ["Credentials:relay1:Password"] = "s3cret",
    });

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Fact]
    public async Task Deliver_SameTaskTwiceConcurrently_SendsOneCopy()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com", "carol@example.com"]);

        await Task.WhenAll(
            Task.Run(() => _pipeline.Deliver.RunAsync(task, CancellationToken.None)),
            Task.Run(() => _pipeline.Deliver.RunAsync(task, CancellationToken.None)));

        Assert.Equal(1, server.DataAttempts);
        Assert.Equal(2, server.Accepted.Sum(m => m.To.Count));
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "carol@example.com")).Status);
    }

    [Fact]
    public async Task Deliver_NextHopOffersDsn_PassesRetEnvIdAndEachRecipientsNotifyOn()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Dsn = true });
        var task = await _pipeline.NewTaskAsync(
            Smarthost(server),
            ["bob@example.com", "carol@example.com"],
            ret: DsnReturn.Headers,
            dsn: r => r == "bob@example.com" ? (DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", "Bob+Old=Name@example.com")) : (DsnNotify.None, null));

        await _pipeline.Deliver.RunAsync(task with { EnvId = "env+42" }, CancellationToken.None);

        var mail = Assert.Single(server.Accepted);
        Assert.Contains(" RET=HDRS", mail.MailFromLine, StringComparison.Ordinal);
        // Decoded at the edge, encoded once here (RFC 3461 4): "+" and "=" as hex, nothing encoded twice.
        Assert.Contains(" ENVID=env+2B42", mail.MailFromLine, StringComparison.Ordinal);
        // The client's ORCPT as it gave it, not the current address (RFC 3461 6.2).
        Assert.Equal("RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2BOld+3DName@example.com", mail.RcptLines[0]);
        Assert.Equal("RCPT TO:<carol@example.com>", mail.RcptLines[1]);
    }

    [Fact]
    public async Task Deliver_NextHopWithoutDsn_SendsNoDsnParameters()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], ret: DsnReturn.Full, dsn: _ => (DsnNotify.Never, null));

        await _pipeline.Deliver.RunAsync(task with { EnvId = "env-43" }, CancellationToken.None);

        var mail = Assert.Single(server.Accepted);
        Assert.DoesNotContain("RET=", mail.MailFromLine, StringComparison.Ordinal);
        Assert.DoesNotContain("ENVID=", mail.MailFromLine, StringComparison.Ordinal);
        Assert.Equal("RCPT TO:<bob@example.com>", Assert.Single(mail.RcptLines));
    }

    [Fact]
    public async Task Deliver_RecipientLeasedByALiveRun_IsLeftAloneAndCheckedAgainLater()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"]);
        await LeaseAsync(task.Id, "bob@example.com", DateTimeOffset.UtcNow.AddMinutes(10));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(0, server.Connections);
        Assert.Equal(DeliveryStatus.Leased, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(1, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Deliver_RecipientWithAnExpiredLease_IsTakenOver()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"]);
        await LeaseAsync(task.Id, "bob@example.com", DateTimeOffset.UtcNow.AddMinutes(-1));

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal(DeliveryStatus.Delivered, record.Status);
        Assert.Null(record.LeaseOwner);
        Assert.Single(server.Accepted);
    }

    [Fact]
    public async Task Deliver_RunFailsBeforeAResult_ReleasesTheLeaseForTheQueuesRetry()
    {
        var task = await _pipeline.NewTaskAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", 25, TlsMode.None), ["bob@example.com"]);
        await _pipeline.Storage.Spool.DeleteBlobAsync(task.Blob);

        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => _pipeline.Deliver.RunAsync(task, CancellationToken.None));

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Queued, null), (record.Status, record.LeaseOwner));
    }

    [Theory]
    [InlineData(TlsMode.Required, true, false)]
    [InlineData(TlsMode.Implicit, false, true)]
    public async Task Deliver_TlsRequiredOrImplicit_SendsOnlyEncrypted(TlsMode mode, bool startTls, bool implicitTls)
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = startTls, ImplicitTls = implicitTls });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { Tls = mode }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.True(Assert.Single(server.Accepted).Tls);
    }

    [Fact]
    public async Task Deliver_TlsNoneWhileTheHopOffersStartTls_DeliversInPlainText()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = true });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { Tls = TlsMode.None }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.False(Assert.Single(server.Accepted).Tls);
    }

    [Fact]
    public async Task Deliver_TlsRequiredButNotOffered_DefersWithoutSending()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = false });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { Tls = TlsMode.Required }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Deferred, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(0, server.DataAttempts);
    }

    [Fact]
    public async Task Deliver_VerifiedTlsAgainstASelfSignedCertificate_DefersWithoutSending()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = true });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { Tls = TlsMode.Required, VerifyCertificate = true }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Deferred, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
        Assert.Equal(0, server.DataAttempts);
    }

    [Fact]
    public async Task Deliver_CredentialReference_AuthenticatesWithTheConfiguredSecret()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = true, Auth = ("relay-user", "s3cret") });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { CredentialRef = "relay1" }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var mail = Assert.Single(server.Accepted);
        Assert.Equal(("relay-user", true), (mail.AuthUser, mail.Tls));
    }

    [Theory]
    [InlineData(TlsMode.Required, true, true, "451 4.4.1 ")]
    [InlineData(TlsMode.None, true, false, "451 4.7.11 ")]
    [InlineData(TlsMode.Opportunistic, false, false, "451 4.7.11 ")]
    public async Task Deliver_CredentialThatCouldLeak_IsNeverSent(TlsMode tls, bool hopOffersStartTls, bool verify, string reply)
    {
        // A self-signed certificate (a man in the middle's), no TLS at all, or a STARTTLS stripped from EHLO.
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { StartTls = hopOffersStartTls, Auth = ("relay-user", "s3cret") });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { Tls = tls, CredentialRef = "relay1", VerifyCertificate = verify }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal(DeliveryStatus.Deferred, record.Status);
        Assert.StartsWith(reply, record.LastReply, StringComparison.Ordinal);
        Assert.Equal(0, server.AuthAttempts);
        Assert.Empty(server.Accepted);
    }

    [Fact]
    public async Task Deliver_CredentialReferenceNotConfigured_DefersWithoutConnecting()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Auth = ("relay-user", "s3cret") });
        var task = await _pipeline.NewTaskAsync(Smarthost(server) with { CredentialRef = "unknown" }, ["bob@example.com"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        Assert.Equal((DeliveryStatus.Deferred, "451 4.3.5 Next hop is not configured"), (record.Status, record.LastReply));
        Assert.Equal(0, server.Connections);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Deliver_SmtpUtf8Message_PassesItOnOrBouncesWith567(bool hopOffersIt)
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { SmtpUtf8 = hopOffersIt });
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], mailFrom: "jürgen@example.org", stored: "Subject: Grüße\r\n\r\nHallo\r\n", smtpUtf8: true);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@example.com");
        if (hopOffersIt)
        {
            Assert.Equal(DeliveryStatus.Delivered, record.Status);
            var mail = Assert.Single(server.Accepted);
            Assert.Contains("SMTPUTF8", mail.MailFromLine, StringComparison.Ordinal);
            Assert.Contains("Subject: Grüße", Encoding.UTF8.GetString(mail.Data), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(DeliveryStatus.Bounced, record.Status);
            Assert.StartsWith("550 5.6.7 ", record.LastReply, StringComparison.Ordinal);
            Assert.Equal(0, server.DataAttempts);
        }
    }

    [Fact]
    public async Task Deliver_EightBitBody_IsSentWithBody8BitMimeAndUnchanged()
    {
        await using var server = ScriptedSmtpServer.Start("127.0.0.1", 0);
        const string stored = "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln\r\n";
        var task = await _pipeline.NewTaskAsync(Smarthost(server), ["bob@example.com"], stored: stored);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var mail = Assert.Single(server.Accepted);
        Assert.Contains("BODY=8BITMIME", mail.MailFromLine, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith(stored, Encoding.UTF8.GetString(mail.Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deliver_MailboxRoute_WritesOneCopyPerRecipientWithReturnPathAndDeliveredTo()
    {
        var task = await _pipeline.NewTaskAsync(new Route("example.net", RouteAction.Mailbox), ["bob@example.net"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);
        await ResetAsync(task.Id, "bob@example.net");
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var mailboxes = _pipeline.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        var blobs = new List<string>();
        await foreach (var blob in mailboxes.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "example.net/bob/", CancellationToken.None))
        {
            blobs.Add(blob.Name);
        }

        var name = Assert.Single(blobs);
        Assert.Equal(MailboxDelivery.BlobName("bob@example.net", task.Id, task.FirstAttemptAt), name);
        Assert.EndsWith($"-{task.Id}.eml", name, StringComparison.Ordinal);
        var content = (await mailboxes.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal($"Return-Path: <{PipelineHarness.Sender}>\r\nDelivered-To: bob@example.net\r\n{task.Headers}{PipelineHarness.StoredMessage}", content);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.net")).Status);
    }

    private static Route Smarthost(ScriptedSmtpServer server) =>
        new("*", RouteAction.Smarthost, "127.0.0.1", server.Endpoint.Port, TlsMode.Opportunistic);

    private async Task LeaseAsync(string id, string recipient, DateTimeOffset until)
    {
        var record = await _pipeline.RecordAsync(id, recipient);
        record.Status = DeliveryStatus.Leased;
        record.LeaseOwner = "another-run";
        record.LeaseExpiresAt = until;
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag);
    }

    /// <summary>Puts a recipient back to queued, as if the run that delivered it had crashed before recording it.</summary>
    private async Task ResetAsync(string id, string recipient)
    {
        var record = await _pipeline.RecordAsync(id, recipient);
        record.Status = DeliveryStatus.Queued;
        await _pipeline.Storage.Deliveries.UpdateEntityAsync(record, record.ETag);
    }
}
