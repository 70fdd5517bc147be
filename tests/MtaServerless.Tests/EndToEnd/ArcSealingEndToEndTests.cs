using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Telemetry;
using MtaServerless.Edge;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;
using MtaServerless.Tests.Authentication;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// ARC sealing on the whole path: a remote MTA sends a signed message through the edge's MX listener, the local runner's
/// pipeline checks it against a DNS server on loopback, seals it with the key <c>mta dkim add</c> made for the sealing
/// domain and relays it to an SMTP server on loopback, where dkimpy and our verifier both accept the chain; the event
/// says it was sealed, and no log holds the private key.
/// </summary>
public sealed class ArcSealingEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Origin = "e2e-arc-origin.example";
    private const string SealDomain = "e2e-arc-sealer.example";

    [Fact]
    public async Task ReceivedMailRelayedBySmarthost_ArrivesSealed_VerifiesWithDkimpyAndOurs_AndNoKeyLeaks()
    {
        using var keys = new SigningKeys();
        var originKey = keys.Publish(Origin, "o1", DkimAlgorithm.RsaSha256);
        var store = Directory.CreateTempSubdirectory("mta-arc-e2e-").FullName;
        var record = DkimPublicRecord.For(await new DkimKeyManager(azurite.Storage.DkimKeys, new DirectoryDkimKeyStore(store), TimeProvider.System)
            .AddAsync(SealDomain, "arc1", DkimAlgorithm.RsaSha256, CancellationToken.None));
        keys.Dns.Txt(record.Name, record.Strings());

        await using var sink = SmtpSink.Start();
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("*", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true)), TableUpdateMode.Replace);
        var message = await Dkimpy.SignAsync(SigningKeys.Message(Origin), originKey, "o1", Origin, "rsa-sha256", headers: "from:to:subject:date:message-id");

        var captured = new CapturedOutput();
        using (var runner = await InProcessRunner.StartAsync(
            azurite.ConnectionString,
            new Dictionary<string, string?>
            {
                ["Authentication:Enabled"] = "true",
                ["Authentication:ArcSealDomain"] = SealDomain,
                ["Pipeline:NameServers"] = keys.Dns.Endpoint.ToString(),
                ["Dkim:KeyDirectory"] = store,
                ["Logging:LogLevel:Default"] = "Trace",
            },
            services: captured.AddTo))
        {
            await using (var mx = await SmtpWireClient.ConnectAsync(runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0]))
            {
                await mx.GreetAsync();
                await mx.CommandAsync("EHLO mta." + Origin, "250");
                await mx.CommandAsync($"MAIL FROM:<alice@{Origin}>", "250 2.1.0");
                await mx.CommandAsync("RCPT TO:<bob@example.net>", "250 2.1.5");
                await mx.CommandAsync("DATA", "354");
                await mx.SendAsync(message);
                await mx.CommandAsync(".", "250 2.0.0 Ok: queued as ");
            }

            await sink.WaitForAcceptedAsync(1, TimeSpan.FromSeconds(60));
            await runner.StopAsync();
        }

        var received = Assert.Single(sink.Accepted).Data;
        Assert.Equal(("1", "rsa-sha256", "none", SealDomain, "arc1"), ArcSealingTests.Seal(received));
        var dkimpy = await Dkimpy.ArcVerifyAsync(received, keys.Dns.Endpoint);
        Assert.True(dkimpy.Chain == "pass", dkimpy.Line);
        Assert.Equal(new ArcResult(AuthVerdict.Pass, 1), (await keys.VerifyAsync(received)).Arc);

        var authenticated = Assert.Single(captured.Events, e => e.Name == TelemetryNames.MessageAuthenticated).Attributes;
        Assert.Equal(("none", "sealed"), (authenticated["Arc"], authenticated["ArcSeal"]));
        var secrets = Directory.GetFiles(store, "*.pem").SelectMany(File.ReadAllLines).Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(secrets);
        Assert.All(secrets, secret => Assert.DoesNotContain(captured.Texts, text => text.Contains(secret, StringComparison.Ordinal)));
        Directory.Delete(store, recursive: true);
    }
}
