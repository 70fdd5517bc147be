using System.Text;
using MimeKit;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Ingest signs our users' mail, and dkimpy (an independent verifier) accepts what the next hop receives: every message
/// of <see cref="RelayCorpus"/> (the bytes a MIME library is tempted to rewrite), with the Date and Message-ID a
/// submission gets from us, by RSA and Ed25519 alike; List-Unsubscribe and its -Post signed as RFC 8058 asks; our DSNs
/// with the keys of our host name.
/// </summary>
public sealed class DkimSigningTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private const string Domain = "signing.example";
    private const string User = "alice@signing.example";
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    private readonly string _keys = Path.Combine(Path.GetTempPath(), "mta-dkim-" + Guid.NewGuid().ToString("N"));
    private readonly LoopbackDnsServer _dns = new();
    private PipelineHarness _pipeline = null!;
    private DkimKeyManager _manager = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Dkim:KeyDirectory"] = _keys });
        _manager = new DkimKeyManager(azurite.Storage.DkimKeys, new DirectoryDkimKeyStore(_keys), TimeProvider.System);
        foreach (var domain in (await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, null, CancellationToken.None)).Select(k => k.Domain).Distinct())
        {
            await _manager.RemoveAsync(domain, null, CancellationToken.None);
        }

        Publish(await _manager.AddAsync(Domain, "rsa1", DkimAlgorithm.RsaSha256, CancellationToken.None));
        Publish(await _manager.AddAsync(Domain, "ed1", DkimAlgorithm.Ed25519Sha256, CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        await _pipeline.DisposeAsync();
        _dns.Dispose();
        Directory.Delete(_keys, recursive: true);
    }

    [Theory]
    [MemberData(nameof(RelayCorpus.Names), MemberType = typeof(RelayCorpus))]
    public async Task Submission_SignedByRsaAndEd25519_VerifiesWithDkimpyAsTheNextHopReceivedIt(string name)
    {
        var stored = FromOurUser(RelayCorpus.Messages[name].Stored);

        var (received, task) = await RelayAsync(stored);

        Assert.Equal(DkimStatus.Signed, task.Dkim);
        var verdicts = await Dkimpy.VerifyAsync(received, _dns.Endpoint);
        Assert.Equal([("rsa1", "rsa-sha256", true), ("ed1", "ed25519-sha256", true)], verdicts.Select(v => (v.Selector, v.Algorithm, v.Pass)));
        Assert.All(verdicts, v => Assert.Equal(Domain, v.Domain));
    }

    [Fact]
    public async Task ListUnsubscribe_IsSignedAndOverSigned_WithFromToSubjectDateAndMessageId()
    {
        var stored = Encoding.ASCII.GetBytes(
            $"From: <{User}>\r\nTo: <bob@example.com>\r\nSubject: news\r\nList-Unsubscribe: <https://signing.example/u/1>, <mailto:u@signing.example>\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nNews.\r\n");

        var (received, _) = await RelayAsync(stored);

        Assert.All(await Dkimpy.VerifyAsync(received, _dns.Endpoint), v => Assert.True(v.Pass, v.Line));
        var signature = Signatures(received)[0];
        var signed = Tag(signature, "h").Split(':').GroupBy(f => f.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Count());
        // Once more than they occur: Date and Message-ID came from us (RFC 6409), the rest from the client.
        Assert.Equal(
            [2, 2, 2, 2, 2, 2, 2, 1, 1],
            new[] { "from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type" }.Select(f => signed.GetValueOrDefault(f)));
        Assert.DoesNotContain("received", signed.Keys);
        Assert.Equal(("relaxed/relaxed", null), (Tag(signature, "c"), TagOrNull(signature, "l")));
    }

    [Fact]
    public async Task SigningTwice_GivesTheSameSignature_SoAReplayOfIngestSendsWhatTheFirstRunSent()
    {
        var message = await _pipeline.AcceptAsync(Smarthost(1), ["bob@example.com"], FromOurUser(Encoding.ASCII.GetBytes("Subject: twice\r\n\r\nSame.\r\n")), User);
        var signer = _pipeline.Service<DkimMessageSigner>();

        await using var first = await signer.SignAsync(message, "Received: from a\r\n", CancellationToken.None);
        await using var second = await signer.SignAsync(message, "Received: from a\r\n", CancellationToken.None);

        Assert.Equal(2, Signatures(Encoding.ASCII.GetBytes(first.Headers)).Count);
        Assert.Equal(first.Headers, second.Headers);
        Assert.Equal(message.Session.ReceivedAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Tag(Signatures(Encoding.ASCII.GetBytes(first.Headers))[0], "t"));
    }

    [Fact]
    public async Task FromDomainWithoutKey_AndMailFromTheInternet_GoOutUnsigned_SayingWhy()
    {
        var noKey = await _pipeline.AcceptAsync(Smarthost(1), ["bob@example.com"], Encoding.ASCII.GetBytes("From: <carol@unsigned.example>\r\n\r\nHi.\r\n"), "carol@unsigned.example");
        var twoDomains = await _pipeline.AcceptAsync(Smarthost(1), ["bob@example.com"], Encoding.ASCII.GetBytes($"From: <{User}>, <dave@unsigned.example>\r\nSender: <{User}>\r\n\r\nHi.\r\n"), User);
        var inbound = await _pipeline.AcceptAsync(Smarthost(1), ["bob@example.com"], FromOurUser(Encoding.ASCII.GetBytes("Subject: spoofed\r\n\r\nHi.\r\n")));
        var signer = _pipeline.Service<DkimMessageSigner>();

        await using var unsigned = await signer.SignAsync(noKey, string.Empty, CancellationToken.None);
        await using var ambiguous = await signer.SignAsync(twoDomains, string.Empty, CancellationToken.None);
        await using var notOurs = await signer.SignAsync(inbound, string.Empty, CancellationToken.None);

        Assert.Equal((DkimStatus.NoKey, string.Empty), (unsigned.Status, unsigned.Headers));
        Assert.Equal((DkimStatus.NoFromDomain, string.Empty), (ambiguous.Status, ambiguous.Headers));
        // Not even read: the blob is the first attempt's to read.
        Assert.Equal((DkimStatus.NotOurs, string.Empty, null), (notOurs.Status, notOurs.Headers, notOurs.Stored));
    }

    [Fact]
    public async Task Submission_WithAFieldInOurName_GoesOutWithoutIt_AndItsSignaturesVerify()
    {
        await _pipeline.DisposeAsync();
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Dkim:KeyDirectory"] = _keys, ["Authentication:Enabled"] = "true" });
        var stored = FromOurUser(Encoding.ASCII.GetBytes("Authentication-Results: relay.test; dmarc=pass header.from=bank.example\r\nSubject: forged\r\n\r\nHi.\r\n"));

        var (received, task) = await RelayAsync(stored);

        Assert.DoesNotContain("Authentication-Results", Encoding.ASCII.GetString(received), StringComparison.Ordinal);
        Assert.Equal([true, true], (await Dkimpy.VerifyAsync(received, _dns.Endpoint)).Select(v => v.Pass));
        Assert.EndsWith(".cleaned.eml", task.Blob, StringComparison.Ordinal);
    }

    /// <summary>A DSN comes from MAILER-DAEMON at our host name (relay.test here): signed with that name's keys, it passes DMARC where the domain asks for it.</summary>
    [Fact]
    public async Task Dsn_IsSignedWithTheKeysOfOurHostName_AndVerifiesWithDkimpy()
    {
        Publish(await _manager.AddAsync("relay.test", "dsn1", DkimAlgorithm.RsaSha256, CancellationToken.None));
        await using var refusing = SmtpSink.Start(_ => SmtpSink.Reply(550, "5.1.1 No such user"));
        await using var sink = SmtpSink.Start();
        var message = await _pipeline.AcceptAsync(Smarthost(refusing.Port), ["bob@example.com"], FromOurUser(Encoding.ASCII.GetBytes("Subject: refused\r\n\r\nHi.\r\n")), User);
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        var (dsn, _) = Assert.Single(await _pipeline.DsnsAsync());
        await _pipeline.UseRouteAsync(Smarthost(sink.Port));

        await _pipeline.Ingest.RunAsync(dsn, CancellationToken.None);

        var received = (await sink.WaitForAcceptedAsync(1, DeliveryWait)).Data;
        var verdicts = await Dkimpy.VerifyAsync(received, _dns.Endpoint);
        Assert.Equal([("relay.test", "dsn1", true)], verdicts.Select(v => (v.Domain, v.Selector, v.Pass)));
        Assert.Contains("From: Mail Delivery System <MAILER-DAEMON@relay.test>", Encoding.ASCII.GetString(received), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_TheOldSelectorSignsUntilRemoved_ThenTheNewOne()
    {
        var (signing, added) = await _manager.RotateAsync(Domain, "rsa2", DkimAlgorithm.RsaSha256, CancellationToken.None);
        Publish(added);
        var stored = FromOurUser(Encoding.ASCII.GetBytes("Subject: rotating\r\n\r\nHi.\r\n"));

        var (before, _) = await RelayAsync(stored);
        await _manager.RemoveAsync(Domain, signing.Selector, CancellationToken.None);
        var (after, _) = await RelayAsync(stored);

        Assert.Equal(["rsa1", "ed1"], (await Dkimpy.VerifyAsync(before, _dns.Endpoint)).Where(v => v.Pass).Select(v => v.Selector));
        Assert.Equal(["rsa2", "ed1"], (await Dkimpy.VerifyAsync(after, _dns.Endpoint)).Where(v => v.Pass).Select(v => v.Selector));
        Assert.False(File.Exists(Path.Combine(_keys, signing.KeyName + ".pem")));
    }

    /// <summary>Ingests a submission of <paramref name="stored"/>, whose first attempt relays it to a sink.</summary>
    /// <returns>What the sink received, and the task as the sweeper's index keeps it.</returns>
    private async Task<(byte[] Received, DeliveryTask Task)> RelayAsync(byte[] stored)
    {
        await using var sink = SmtpSink.Start();
        var message = await _pipeline.AcceptAsync(Smarthost(sink.Port), ["bob@example.com"], stored, User);
        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);
        var received = await sink.WaitForAcceptedAsync(1, DeliveryWait);
        var entry = Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id);
        var task = entry.TaskFor(["bob@example.com"], attempt: 1, delayWarned: false);
        Assert.StartsWith(task.Headers, Encoding.UTF8.GetString(received.Data), StringComparison.Ordinal);
        return (received.Data, task);
    }

    private static Route Smarthost(int port) => new("*", RouteAction.Smarthost, "127.0.0.1", port, TlsMode.None);

    private void Publish(DkimKeyEntity key)
    {
        var record = DkimPublicRecord.For(key);
        _dns.Txt(record.Name, record.Strings());
    }

    /// <summary>The message as one of ours sent it: its addresses of example.org are ours, and it gets a From: of ours if it has none.</summary>
    private static byte[] FromOurUser(byte[] stored)
    {
        var text = Encoding.Latin1.GetString(stored);
        return text.StartsWith("From:", StringComparison.Ordinal) || text.Contains("\nFrom:", StringComparison.Ordinal)
            ? Encoding.Latin1.GetBytes(text.Replace("@example.org", "@" + Domain, StringComparison.Ordinal))
            : [.. Encoding.ASCII.GetBytes($"From: <{User}>\r\n"), .. stored];
    }

    private static List<string> Signatures(byte[] message)
    {
        using var parsed = MimeMessage.Load(new MemoryStream(message));
        return parsed.Headers.Where(h => h.Id == HeaderId.DkimSignature).Select(h => h.Value).ToList();
    }

    private static string Tag(string signature, string name) => TagOrNull(signature, name) ?? throw new InvalidOperationException($"No {name}= in {signature}");

    private static string? TagOrNull(string signature, string name) =>
        DkimPublicRecord.Tags(signature).GetValueOrDefault(name);
}
