using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Pipeline;
using MtaServerless.Testing;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// Checks of received mail on the whole path: remote MTAs send through the edge's MX listener, the local runner's pipeline
/// checks SPF, DKIM, DMARC and ARC against a DNS server on loopback and relays to an SMTP server on loopback. A signed and
/// ARC-sealed message of a p=reject domain arrives with one field saying spf, dkim, dmarc and arc pass, and its signature
/// still verifies (dkimpy);
/// a forged field in our name is gone and foreign ones stay; unsigned mail of a p=reject domain from an address its SPF
/// refuses is delivered with dmarc=fail on a headers-only route and quarantined, without a DSN, on an enforce route; mail
/// of our users (submission, trusted network) gets no field; the event names domains, never an address or a key.
/// </summary>
public sealed class AuthenticationEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string ServId = "relay.test";
    private const string Signed = "e2e-auth-signed.example";
    private const string Forged = "e2e-auth-forged.example";
    private const string Selector = "e2e2026";
    private const string User = "ursula@e2e-auth-user.example";
    private const string Password = "ursula's passphrase";
    private static readonly IPAddress TrustedClient = IPAddress.Parse("127.0.0.3");
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReceivedMail_GetsOneAuthenticationResultsField_EnforceRoutesQuarantine_OurUsersMailGetsNone()
    {
        using var rsa = RSA.Create(2048);
        using var dns = new LoopbackDnsServer();
        dns.Txt(Signed, ["v=spf1 ip4:127.0.0.1 -all"]);
        dns.Txt($"{Selector}._domainkey.{Signed}", Chunks($"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}"));
        dns.Txt($"_dmarc.{Signed}", ["v=DMARC1; p=reject"]);
        dns.Txt(Forged, ["v=spf1 ip4:192.0.2.1 -all"]);
        dns.Txt($"_dmarc.{Forged}", ["v=DMARC1; p=reject"]);

        await using var sink = SmtpSink.Start();
        foreach (var route in new[]
        {
            new Route("*", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None),
            new Route("headers.e2e-auth.example", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true),
            new Route("enforced.e2e-auth.example", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true, DmarcPolicy: DmarcPolicy.Enforce),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        await azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false)), TableUpdateMode.Replace);

        var captured = new CapturedOutput();
        var settings = InProcessRunner.SubmissionListener("submission", ListenerRole.Submission, Path.Combine(Path.GetTempPath(), "mta-auth-e2e-tls", azurite.QueuePort.ToString(CultureInfo.InvariantCulture)));
        settings["Authentication:Enabled"] = "true";
        settings["Pipeline:NameServers"] = dns.Endpoint.ToString();
        settings["Pipeline:HostName"] = ServId;
        settings["Edge:TrustedNetworks:0"] = TrustedClient + "/32";
        settings["Logging:LogLevel:Default"] = "Trace";
        string quarantinedId;
        using (var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, settings, services: captured.AddTo))
        {
            var endpoints = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;
            await using (var mx = await SmtpWireClient.ConnectAsync(endpoints[0]))
            {
                await mx.GreetAsync();
                await mx.CommandAsync("EHLO mta.e2e-auth-signed.example", "250");
                await SendAsync(mx, $"alice@{Signed}", "bob@headers.e2e-auth.example", await SignedMessageAsync(rsa, dns.Endpoint));
                await SendAsync(mx, $"mallory@{Forged}", "bob@headers.e2e-auth.example", Unsigned($"mallory@{Forged}", "bob@headers.e2e-auth.example", "forged, headers only"));
                quarantinedId = await SendAsync(mx, $"mallory@{Forged}", "carol@enforced.e2e-auth.example NOTIFY=SUCCESS,FAILURE", Unsigned($"mallory@{Forged}", "carol@enforced.e2e-auth.example", "forged, enforced"));
            }

            await using (var trusted = await SmtpWireClient.ConnectAsync(endpoints[0], localAddress: TrustedClient))
            {
                await trusted.GreetAsync();
                await trusted.CommandAsync("EHLO relay.e2e-auth-user.example", "250");
                await SendAsync(trusted, $"mallory@{Forged}", "bob@headers.e2e-auth.example", Unsigned($"mallory@{Forged}", "bob@headers.e2e-auth.example", "trusted"));
            }

            await using (var submission = await SmtpWireClient.ConnectAsync(endpoints[1]))
            {
                await submission.GreetAsync();
                await submission.CommandAsync("STARTTLS", "220");
                await submission.StartTlsAsync();
                await submission.CommandAsync("EHLO client.example", "250");
                await submission.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, Password), "235");
                await SendAsync(submission, User, "bob@headers.e2e-auth.example", Unsigned(User, "bob@headers.e2e-auth.example", "submitted"));
            }

            await sink.WaitForAcceptedAsync(4, ArrivalTimeout);
            await WaitForQuarantineAsync("enforced.e2e-auth.example/carol/");
            // A DSN would be injected right after the quarantine's record: give it the time a delivery takes.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await runner.StopAsync();
        }

        var arrived = sink.Accepted.ToDictionary(m => Subject(m.Data), m => Encoding.ASCII.GetString(m.Data));
        Assert.Equal(["forged, headers only", "signed", "submitted", "trusted"], arrived.Keys.Order(StringComparer.Ordinal));

        // Ours on top, above our Received:, and the only one in our name: the forged one is gone, foreign ones stay.
        var signed = arrived["signed"];
        var ours = Fields(signed).Where(f => IsOurs(f)).ToList();
        var field = Assert.Single(ours);
        Assert.StartsWith("Authentication-Results: " + ServId + ";", signed, StringComparison.Ordinal);
        Assert.StartsWith("Received: ", Fields(signed)[1], StringComparison.Ordinal);
        Assert.Contains("spf=pass", field, StringComparison.Ordinal);
        Assert.Contains($"smtp.mailfrom=alice@{Signed}", field, StringComparison.Ordinal);
        Assert.Contains("dkim=pass", field, StringComparison.Ordinal);
        Assert.Contains($"header.d={Signed}", field, StringComparison.Ordinal);
        Assert.Contains($"header.s={Selector}", field, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass", field, StringComparison.Ordinal);
        Assert.Contains($"header.from={Signed}", field, StringComparison.Ordinal);
        Assert.Contains("arc=pass", field, StringComparison.Ordinal);
        Assert.DoesNotContain("forged-pass", signed, StringComparison.Ordinal);
        Assert.Contains(Fields(signed), f => f.StartsWith("Authentication-Results: mx.other.example;", StringComparison.Ordinal));
        Assert.Contains(Fields(signed), f => f.StartsWith("Authentication-Results: relay.test.example;", StringComparison.Ordinal));
        var verdict = Assert.Single(await Dkimpy.VerifyAsync(Encoding.ASCII.GetBytes(signed), dns.Endpoint));
        Assert.True(verdict.Pass, verdict.Line);

        var headersOnly = Assert.Single(Fields(arrived["forged, headers only"]), f => IsOurs(f));
        Assert.Contains("spf=fail", headersOnly, StringComparison.Ordinal);
        Assert.Contains("dkim=none", headersOnly, StringComparison.Ordinal);
        Assert.Contains("dmarc=fail (p=reject", headersOnly, StringComparison.Ordinal);
        Assert.Contains($"header.from={Forged}", headersOnly, StringComparison.Ordinal);
        Assert.DoesNotContain(Fields(arrived["trusted"]), f => f.StartsWith("Authentication-Results:", StringComparison.Ordinal));
        Assert.DoesNotContain(Fields(arrived["submitted"]), f => f.StartsWith("Authentication-Results:", StringComparison.Ordinal));

        // The enforced copy: in quarantine with our field, final, never relayed, and no DSN to the forged sender.
        var quarantined = await QuarantinedAsync("enforced.e2e-auth.example/carol/");
        Assert.Contains("dmarc=fail (p=reject", quarantined, StringComparison.Ordinal);
        Assert.DoesNotContain(arrived.Keys, s => s == "forged, enforced");
        Assert.DoesNotContain(sink.Accepted, m => m.To.Any(r => r.EndsWith(Forged, StringComparison.Ordinal)));
        var record = (await azurite.Storage.Deliveries.GetEntityAsync<DeliveryEntity>(quarantinedId, RecipientKey.Encode("carol@enforced.e2e-auth.example"))).Value;
        Assert.Equal((DeliveryStatus.Delivered, false), (record.Status, record.DsnPending));
        Assert.Equal("2.7.0", record.GetOutcome()!.Status.ToString());

        var events = captured.Events.Where(e => e.Name == TelemetryNames.MessageAuthenticated).Select(e => e.Attributes).ToList();
        Assert.Equal(3, events.Count);
        var pass = Assert.Single(events, e => e["FromDomain"] == Signed);
        Assert.Equal(("pass", "pass", "pass", "pass", "none", "delivered"), (pass["Spf"], pass["Dkim"], pass["Dmarc"], pass["Arc"], pass["DmarcPolicy"], pass["Action"]));
        Assert.Equal(
            [("fail", "none", "fail", "reject", "delivered"), ("fail", "none", "fail", "reject", "quarantined")],
            events.Where(e => e["FromDomain"] == Forged).Select(e => (e["Spf"], e["Dkim"], e["Dmarc"], e["DmarcPolicy"], e["Action"])).Order());
        Assert.All(events.SelectMany(e => e.Values), v => Assert.DoesNotContain('@', v));
        var key = Convert.ToBase64String(rsa.ExportPkcs8PrivateKey());
        Assert.All(captured.Texts, t => Assert.DoesNotContain(key[..40], t, StringComparison.Ordinal));
    }

    /// <summary>
    /// A message signed by dkimpy for its From domain and sealed with an ARC set by a forwarder of that domain, carrying a
    /// forged field in our name and two foreign ones, none of them signed.
    /// </summary>
    private static async Task<byte[]> SignedMessageAsync(RSA rsa, IPEndPoint nameServer)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice", $"alice@{Signed}"));
        message.To.Add(new MailboxAddress("Bob", "bob@headers.e2e-auth.example"));
        message.Subject = "signed";
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = $"signed@{Signed}";
        message.Body = new TextPart("plain") { Text = "Hello from a signed domain.\r\n" };
        var keyFile = Path.Combine(Path.GetTempPath(), $"mta-auth-e2e-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        try
        {
            var signed = await Dkimpy.ArcSignAsync(
                await Dkimpy.SignAsync(Wire(message), keyFile, Selector, Signed, "rsa-sha256", headers: "from:to:subject:date:message-id"),
                keyFile,
                Selector,
                Signed,
                "forwarder." + Signed,
                nameServer);
            var received =
                "Authentication-Results: RELAY.test;\r\n\tdmarc=forged-pass header.from=" + Signed + "\r\n" +
                "Authentication-Results: mx.other.example; spf=fail smtp.mailfrom=" + Signed + "\r\n" +
                "Authentication-Results: relay.test.example; dkim=pass header.d=" + Signed + "\r\n";
            return [.. Encoding.ASCII.GetBytes(received), .. signed];
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    private static byte[] Unsigned(string from, string to, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Date = DateTimeOffset.UtcNow;
        message.Body = new TextPart("plain") { Text = "Hello.\r\n" };
        return Wire(message);
    }

    private static byte[] Wire(MimeMessage message)
    {
        using var bytes = new MemoryStream();
        message.WriteTo(WireFormat.Options, bytes);
        return bytes.ToArray();
    }

    /// <returns>The spool id from the edge's 250.</returns>
    private static async Task<string> SendAsync(SmtpWireClient client, string from, string to, byte[] message)
    {
        await client.CommandAsync($"MAIL FROM:<{from}>", "250 2.1.0");
        var (address, parameters) = to.IndexOf(' ', StringComparison.Ordinal) is var space and > 0 ? (to[..space], to[space..]) : (to, string.Empty);
        await client.CommandAsync($"RCPT TO:<{address}>{parameters}", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.SendAsync(message);
        var reply = await client.CommandAsync(".", "250 2.0.0 Ok: queued as ");
        return reply["250 2.0.0 Ok: queued as ".Length..].Trim();
    }

    /// <summary>The header fields, each unfolded to one string with its line breaks.</summary>
    private static List<string> Fields(string message)
    {
        var fields = new List<string>();
        foreach (var line in message[..message.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n"))
        {
            if (line.StartsWith(' ') || line.StartsWith('\t'))
            {
                fields[^1] += "\r\n" + line;
            }
            else
            {
                fields.Add(line);
            }
        }

        return fields;
    }

    private static bool IsOurs(string field) =>
        field.StartsWith("Authentication-Results:", StringComparison.OrdinalIgnoreCase)
        && field["Authentication-Results:".Length..].TrimStart().Split(';')[0].Trim().Equals(ServId, StringComparison.OrdinalIgnoreCase);

    private static string Subject(byte[] message) =>
        Encoding.ASCII.GetString(message).Split("\r\n").First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..];

    private static IEnumerable<string> Chunks(string record) => record.Chunk(255).Select(c => new string(c));

    private async Task WaitForQuarantineAsync(string prefix)
    {
        using var timeout = new CancellationTokenSource(ArrivalTimeout);
        while ((await QuarantinedAsync(prefix, timeout.Token)) is null)
        {
            await Task.Delay(200, timeout.Token);
        }
    }

    private async Task<string?> QuarantinedAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var container = azurite.Storage.Blobs.GetBlobContainerClient(StorageNames.QuarantineContainer);
        await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            return (await container.GetBlobClient(blob.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
        }

        return null;
    }
}
