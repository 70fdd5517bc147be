using System.Text;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// A sender's signatures survive our MTA: a message dkimpy signed (rsa-sha256 simple/simple, the strictest, and
/// ed25519-sha256 relaxed/relaxed) with a long folded header, an 8-bit body and lines that start with a dot, received on
/// the edge's MX listener and relayed by the local pipeline to an SMTP server on loopback, still verifies there with
/// dkimpy and with our <see cref="SignatureVerifier"/> as the pipeline registers it, its body byte for byte as sent.
/// </summary>
public sealed class SignatureSurvivesRelayTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Sender = "relayed-sender.example";
    private const string Recipient = "bob@signature-dest.example";
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DkimpySignedMessage_ThroughEdgeAndPipeline_VerifiesAtTheNextHop()
    {
        using var keys = new SigningKeys();
        var rsa = keys.Publish(Sender, "rsa1", DkimAlgorithm.RsaSha256);
        var ed25519 = keys.Publish(Sender, "ed1", DkimAlgorithm.Ed25519Sha256);
        const string Fields = "from:to:subject:date:message-id:mime-version:content-type:content-transfer-encoding";
        var signed = await Dkimpy.SignAsync(Message(), rsa, "rsa1", Sender, "rsa-sha256", "simple/simple", Fields);
        signed = await Dkimpy.SignAsync(signed, ed25519, "ed1", Sender, "ed25519-sha256", "relaxed/relaxed", Fields);

        await using var sink = SmtpSink.Start();
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("signature-dest.example", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)),
            TableUpdateMode.Replace);
        SignatureResults ours;
        using (var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, new Dictionary<string, string?> { ["Pipeline:NameServers"] = keys.Dns.Endpoint.ToString() }))
        {
            var mx = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
            await using var client = await SmtpWireClient.ConnectAsync(mx);
            await client.GreetAsync();
            await client.CommandAsync($"MAIL FROM:<alice@{Sender}> BODY=8BITMIME", "250 2.1.0");
            await client.CommandAsync($"RCPT TO:<{Recipient}>", "250 2.1.5");
            await client.CommandAsync("DATA", "354");
            await client.SendAsync(DotStuffed(signed));
            await client.CommandAsync(".", "250 2.0.0 Ok: queued as ");
            var received = await sink.WaitForAcceptedAsync(1, ArrivalTimeout);
            // The verifier as the pipeline registers it, on the configured name servers.
            ours = await runner.Services.GetRequiredService<ISignatureVerifier>().VerifyAsync(MimeMessage.Load(new MemoryStream(received.Data)), CancellationToken.None);
            await runner.StopAsync();
        }

        var arrived = Assert.Single(sink.Accepted).Data;
        Assert.Equal(Body(signed), Body(arrived));
        // The ed25519 signature was added last, so it is on top.
        Assert.Equal([("ed1", true), ("rsa1", true)], (await Dkimpy.VerifyAsync(arrived, keys.Dns.Endpoint)).Select(v => (v.Selector, v.Pass)));
        Assert.Equal([("ed1", AuthVerdict.Pass), ("rsa1", AuthVerdict.Pass)], ours.Dkim.Select(r => (r.Selector, r.Verdict)));
    }

    private static byte[] Message()
    {
        var subject = string.Join("\r\n ", Enumerable.Range(1, 8).Select(i => $"a subject long enough to be folded, part {i} of eight,"));
        return Encoding.UTF8.GetBytes(
            $"From: Alice <alice@{Sender}>\r\nTo: <{Recipient}>\r\nSubject: {subject}\r\nDate: Sat, 05 Dec 2026 08:00:00 +0000\r\n"
            + $"Message-ID: <{Guid.NewGuid():N}@{Sender}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Grüße aus Köln, naïve café, 東京.\r\n.a line that starts with a dot\r\n..two dots\r\n.\r\n \r\nThe last line.\r\n");
    }

    /// <summary>RFC 5321 4.5.2: a line that starts with a period gets one more.</summary>
    private static byte[] DotStuffed(byte[] message) =>
        Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(message).Replace("\r\n.", "\r\n..", StringComparison.Ordinal));

    private static byte[] Body(byte[] message)
    {
        var text = Encoding.UTF8.GetString(message);
        return Encoding.UTF8.GetBytes(text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
