using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;
using MtaServerless.Tests.Delivery;
using MtaServerless.Tests.EndToEnd;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// Ingest seals received mail that a route relays with one ARC set (RFC 8617) of <c>Authentication:ArcSealDomain</c>, and
/// both dkimpy and our verifier accept what the next hop receives: i=1 cv=none on mail without a chain, i=2 cv=pass on
/// mail a forwarder sealed, cv=fail over a chain broken on the way. A chain that takes no more sets (a seal with cv=fail,
/// sets that do not pair up, i=50) goes on as it came; so does mail only for mailboxes or for a route that quarantines
/// it, and every message while no domain or no key is set (a warning names the domain without a key). A replay of Ingest seals the same bytes.
/// </summary>
public sealed class ArcSealingTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Origin = "origin.example";
    private const string Forwarder = "forwarder.example";
    private const string SealDomain = "sealer.example";
    private const string SealSelector = "arc2026";
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    private readonly SigningKeys _keys = new();
    private readonly string _keyStore = Directory.CreateTempSubdirectory("mta-arc-seal-").FullName;
    private string _originKey = null!;
    private string _forwarderKey = null!;
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync()
    {
        _originKey = _keys.Publish(Origin, "o1", DkimAlgorithm.RsaSha256);
        _forwarderKey = _keys.Publish(Forwarder, "f1", DkimAlgorithm.RsaSha256);
        // The class's Azurite outlives each test's key store: the key of an earlier test goes first.
        foreach (var earlier in await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, SealDomain, CancellationToken.None))
        {
            await azurite.Storage.DkimKeys.DeleteEntityAsync(earlier.PartitionKey, earlier.RowKey);
        }

        var manager = new DkimKeyManager(azurite.Storage.DkimKeys, new DirectoryDkimKeyStore(_keyStore), TimeProvider.System);
        var record = DkimPublicRecord.For(await manager.AddAsync(SealDomain, SealSelector, DkimAlgorithm.RsaSha256, CancellationToken.None));
        _keys.Dns.Txt(record.Name, record.Strings());
        _pipeline = await HarnessAsync(SealDomain);
    }

    public async Task DisposeAsync()
    {
        await _pipeline.DisposeAsync();
        _keys.Dispose();
        Directory.Delete(_keyStore, recursive: true);
    }

    [Fact]
    public async Task RelayedBySmarthost_ArrivesWithSetOne_ThatDkimpyAndOurVerifierAccept()
    {
        var (received, task) = await RelayAsync(_pipeline, await SignedAsync());

        var text = Encoding.UTF8.GetString(received);
        Assert.Equal(("1", "rsa-sha256", "none", SealDomain, SealSelector), Seal(received));
        Assert.Equal(["ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results", "Authentication-Results", "Received"], FieldNames(task.Headers));
        Assert.Contains("ARC-Authentication-Results: i=1; relay.test;", text, StringComparison.Ordinal);
        var dkimpy = await Dkimpy.ArcVerifyAsync(received, _keys.Dns.Endpoint);
        Assert.Equal(("pass", 1), (dkimpy.Chain, dkimpy.Instances));
        var ours = await _keys.VerifyAsync(received);
        Assert.Equal(new ArcResult(AuthVerdict.Pass, 1), ours.Arc);
        Assert.Equal(AuthVerdict.Pass, Assert.Single(ours.Dkim).Verdict);
    }

    [Fact]
    public async Task SealedOnceByAForwarder_ArrivesWithSetTwo_CvPass()
    {
        var forwarded = await Dkimpy.ArcSignAsync(await SignedAsync(), _forwarderKey, "f1", Forwarder, Forwarder, _keys.Dns.Endpoint);

        var (received, _) = await RelayAsync(_pipeline, forwarded);

        Assert.Equal(("2", "rsa-sha256", "pass", SealDomain, SealSelector), Seal(received));
        var dkimpy = await Dkimpy.ArcVerifyAsync(received, _keys.Dns.Endpoint);
        Assert.Equal(("pass", 2), (dkimpy.Chain, dkimpy.Instances));
        Assert.Equal(new ArcResult(AuthVerdict.Pass, 2), (await _keys.VerifyAsync(received)).Arc);
    }

    [Fact]
    public async Task ChainBrokenOnTheWay_IsSealedWithCvFail()
    {
        var forwarded = await Dkimpy.ArcSignAsync(await SignedAsync(), _forwarderKey, "f1", Forwarder, Forwarder, _keys.Dns.Endpoint);

        var (received, _) = await RelayAsync(_pipeline, SigningKeys.Edited(forwarded, "Hello,", "Hello again,"));

        Assert.Equal(("2", "rsa-sha256", "fail", SealDomain, SealSelector), Seal(received));
        Assert.Equal("fail", (await Dkimpy.ArcVerifyAsync(received, _keys.Dns.Endpoint)).Chain);
        var ours = (await _keys.VerifyAsync(received)).Arc;
        Assert.Equal((AuthVerdict.Fail, 2), (ours.Verdict, ours.Instances));
    }

    [Theory]
    [InlineData("cv=fail")]
    [InlineData("gap")]
    [InlineData("i=50")]
    public async Task ChainThatTakesNoMoreSets_GoesOnUnsealed_WithArcFail(string chain)
    {
        var signed = await SignedAsync();
        var forwarded = await Dkimpy.ArcSignAsync(signed, _forwarderKey, "f1", Forwarder, Forwarder, _keys.Dns.Endpoint);
        var stored = chain switch
        {
            // RFC 8617 5.1: a chain whose last seal says cv=fail is not sealed again.
            "cv=fail" => await Dkimpy.ArcSignAsync(SigningKeys.Edited(forwarded, "Hello,", "Hello again,"), _forwarderKey, "f1", Forwarder, Forwarder, _keys.Dns.Endpoint),
            // Sets that do not pair up: the forwarder's set renumbered, i=1 missing.
            "gap" => Encoding.UTF8.GetBytes(string.Join("\r\n", Encoding.UTF8.GetString(forwarded).Split("\r\n").Select(l => l.StartsWith("ARC-", StringComparison.Ordinal) ? l.Replace("i=1;", "i=2;", StringComparison.Ordinal) : l))),
            // RFC 8617 4.2.1: i=50 is the last instance.
            _ => [.. Encoding.ASCII.GetBytes("ARC-Seal: i=50; a=rsa-sha256; cv=pass; d=x.example; s=s; t=1; b=AAAA\r\n"), .. signed],
        };

        var (received, task) = await RelayAsync(_pipeline, stored);

        Assert.Equal(["Authentication-Results", "Received"], FieldNames(task.Headers));
        Assert.Contains("arc=fail", task.Headers, StringComparison.Ordinal);
        Assert.Equal(stored, received[Encoding.UTF8.GetByteCount(task.Headers)..]);
    }

    [Fact]
    public async Task MailboxOnlyRoute_NoSealDomain_AndNoKey_AddNoSet()
    {
        var mailbox = await _pipeline.AcceptAsync(new Route("*", RouteAction.Mailbox), ["bob@example.net"], await SignedAsync());
        await _pipeline.Ingest.RunAsync(mailbox, CancellationToken.None);
        Assert.Equal(["Authentication-Results", "Received"], FieldNames(TaskOf(await _pipeline.IndexAsync(), mailbox.Id).Headers));

        foreach (var domain in new[] { string.Empty, "no-key.example" })
        {
            await _pipeline.DisposeAsync();
            _pipeline = await HarnessAsync(domain);
            var (received, task) = await RelayAsync(_pipeline, await SignedAsync());
            Assert.Equal(["Authentication-Results", "Received"], FieldNames(task.Headers));
            Assert.DoesNotContain("ARC-", Encoding.UTF8.GetString(received), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task QuarantinedByAnEnforcingSmarthostRoute_GetsNoSet()
    {
        _keys.Dns.Txt("_dmarc.forged.example", ["v=DMARC1; p=reject"]);
        var route = new Route("*", RouteAction.Smarthost, "127.0.0.1", 9, TlsMode.None, DmarcPolicy: DmarcPolicy.Enforce);
        var message = await _pipeline.AcceptAsync(route, ["bob@example.net"], SigningKeys.Message("forged.example"));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var task = TaskOf(await _pipeline.IndexAsync(), message.Id);
        Assert.Equal(["Authentication-Results", "Received"], FieldNames(task.Headers));
        Assert.True(task.DmarcFailed);
    }

    [Fact]
    public async Task SealDomainWithoutKey_SealsNothing_AndSaysSo()
    {
        var captured = new CapturedOutput();
        using var loggers = LoggerFactory.Create(logging => logging.AddProvider(captured));
        var sealer = new ArcSealer(_pipeline.Service<DkimKeyring>(), Options.Create(new AuthenticationOptions { ArcSealDomain = "No-Key.example" }), loggers.CreateLogger<ArcSealer>());
        var message = await _pipeline.AcceptAsync(Smarthost(9), ["bob@example.net"], await SignedAsync());
        await using var stored = await StoredMessage.DownloadAsync(_pipeline.Storage, message.Blob, string.Empty, CancellationToken.None);

        var status = await sealer.SealAsync(message, stored, "Authentication-Results: relay.test; arc=none\r\n", new ArcResult(AuthVerdict.None, 0), CancellationToken.None);

        Assert.Equal((ArcSealStatus.NoKey, string.Empty), (status, stored.TraceHeaders));
        Assert.Contains(captured.Texts, t => t.Contains("the sealing domain no-key.example has no RSA DKIM key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReplayOfIngest_SealsTheSameBytes()
    {
        await using var deferring = SmtpSink.Start(_ => SmtpSink.Reply(451, "4.3.0 Try again later"));
        var message = await _pipeline.AcceptAsync(Smarthost(deferring.Port), ["bob@example.net"], await SignedAsync());

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        // The first run's retry, re-enqueued by its deferred attempt, and the task the replay queued for the same recipient.
        var retry = await _pipeline.NextTaskAsync(DeliveryWait);
        var replayed = await _pipeline.NextTaskAsync(DeliveryWait);
        Assert.StartsWith("ARC-Seal: i=1; ", retry.Headers, StringComparison.Ordinal);
        Assert.Equal(retry.Headers, replayed.Headers);
        Assert.StartsWith(retry.Headers, Encoding.UTF8.GetString(Assert.Single(deferring.Offered).Data), StringComparison.Ordinal);
    }

    private async Task<PipelineHarness> HarnessAsync(string sealDomain) =>
        await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Authentication:Enabled"] = "true",
            ["Authentication:ArcSealDomain"] = sealDomain,
            ["Pipeline:NameServers"] = _keys.Dns.Endpoint.ToString(),
            ["Dkim:KeyDirectory"] = _keyStore,
        });

    /// <summary>A message of <see cref="Origin"/>, signed there by dkimpy, as it arrives from the internet.</summary>
    private async Task<byte[]> SignedAsync() =>
        await Dkimpy.SignAsync(SigningKeys.Message(Origin), _originKey, "o1", Origin, "rsa-sha256", headers: "from:to:subject:date:message-id");

    /// <summary>Ingests <paramref name="stored"/> from the internet, whose first attempt relays it to a sink.</summary>
    /// <returns>What the sink received, and the task as the sweeper's index keeps it.</returns>
    private static async Task<(byte[] Received, DeliveryTask Task)> RelayAsync(PipelineHarness pipeline, byte[] stored)
    {
        await using var sink = SmtpSink.Start();
        var message = await pipeline.AcceptAsync(Smarthost(sink.Port), ["bob@example.net"], stored);
        await pipeline.Ingest.RunAsync(message, CancellationToken.None);
        var received = await sink.WaitForAcceptedAsync(1, DeliveryWait);
        var task = TaskOf(await pipeline.IndexAsync(), message.Id);
        Assert.StartsWith(task.Headers, Encoding.UTF8.GetString(received.Data), StringComparison.Ordinal);
        return (received.Data, task);
    }

    private static DeliveryTask TaskOf(IReadOnlyList<DueEntry> index, string messageId) =>
        Assert.Single(index, e => e.MessageId == messageId).TaskFor(["bob@example.net"], attempt: 1, delayWarned: false);

    private static Route Smarthost(int port) => new("*", RouteAction.Smarthost, "127.0.0.1", port, TlsMode.None);

    /// <summary>The first field of what arrived, which must be an ARC-Seal: its i=, a=, cv=, d= and s=.</summary>
    internal static (string Instance, string Algorithm, string Cv, string Domain, string Selector) Seal(byte[] received)
    {
        using var parsed = MimeMessage.Load(new MemoryStream(received));
        var seal = parsed.Headers[0];
        Assert.Equal(HeaderId.ArcSeal, seal.Id);
        var tags = DkimPublicRecord.Tags(seal.Value);
        return (tags["i"], tags["a"], tags["cv"], tags["d"], tags["s"]);
    }

    private static List<string> FieldNames(string headers) =>
        headers.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(l => l[0] is not (' ' or '\t')).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
}
