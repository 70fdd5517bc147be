using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;
using SmtpServer.Protocol;

namespace MtaServerless.Tests.EndToEnd;

/// <summary>
/// DKIM on the whole path: a user submits through the edge (STARTTLS, AUTH), the local runner's pipeline signs and relays
/// to SMTP servers on loopback, and dkimpy verifies what arrived, with the key record on a loopback DNS server. A
/// message with List-Unsubscribe verifies too; a retry sends byte for byte what the deferred attempt sent, signature
/// included; a domain without a key goes out unsigned and its event says so. No private key is in any log, table,
/// queue or exported telemetry.
/// </summary>
public sealed class DkimEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string Domain = "e2e-signed.example";
    private const string User = "alice@e2e-signed.example";
    private const string Password = "alice's signing passphrase";
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Submissions_AreSignedOnce_VerifyAfterRelayAndRetry_AndNoPrivateKeyLeaks()
    {
        var keys = Path.Combine(Path.GetTempPath(), "mta-dkim-e2e-" + Guid.NewGuid().ToString("N"));
        using var dns = new LoopbackDnsServer();
        var manager = new DkimKeyManager(azurite.Storage.DkimKeys, new DirectoryDkimKeyStore(keys), TimeProvider.System);
        foreach (var key in new[]
        {
            await manager.AddAsync(Domain, null, DkimAlgorithm.RsaSha256, CancellationToken.None),
            await manager.AddAsync(Domain, null, DkimAlgorithm.Ed25519Sha256, CancellationToken.None),
        })
        {
            var record = DkimPublicRecord.For(key);
            dns.Txt(record.Name, record.Strings());
        }

        await using var sink = SmtpSink.Start();
        await using var deferring = SmtpSink.Start(attempt => attempt == 1 ? SmtpSink.Reply(451, "4.3.0 Try again later") : SmtpResponse.Ok);
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("*", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None)), TableUpdateMode.Replace);
        await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(new Route("retry.example", RouteAction.Smarthost, "127.0.0.1", deferring.Port, TlsMode.None)), TableUpdateMode.Replace);
        await azurite.Storage.Users.UpsertEntityAsync(
            UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password, iterations: 1000), Mailbox: false) { AllowedSenders = ["*@unsigned.example"] }),
            TableUpdateMode.Replace);

        var captured = new CapturedOutput();
        var settings = InProcessRunner.SubmissionListener("submission", ListenerRole.Submission, Path.Combine(Path.GetTempPath(), "mta-dkim-e2e-tls", azurite.QueuePort.ToString(CultureInfo.InvariantCulture)));
        settings["Dkim:KeyDirectory"] = keys;
        settings["Logging:LogLevel:Default"] = "Trace";
        using (var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, settings, services: captured.AddTo))
        {
            var submission = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[1];
            await using (var client = await SmtpWireClient.ConnectAsync(submission))
            {
                await client.GreetAsync();
                await client.CommandAsync("STARTTLS", "220");
                await client.StartTlsAsync();
                await client.CommandAsync("EHLO client.example", "250");
                await client.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, Password), "235");
                await SendAsync(client, User, "bob@example.com", "Subject: plain\r\n");
                await SendAsync(client, User, "carol@example.com", "Subject: newsletter\r\nList-Unsubscribe: <https://e2e-signed.example/u/42>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
                await SendAsync(client, User, "dave@retry.example", "Subject: retried\r\n");
                await SendAsync(client, "news@unsigned.example", "erin@example.com", "Subject: unsigned\r\n");
            }

            await sink.WaitForAcceptedAsync(3, ArrivalTimeout);
            await deferring.WaitForAcceptedAsync(1, ArrivalTimeout);
            await runner.StopAsync();
        }

        var arrived = sink.Accepted.ToDictionary(m => Subject(m.Data), m => m.Data);
        foreach (var subject in new[] { "plain", "newsletter" })
        {
            var verdicts = await Dkimpy.VerifyAsync(arrived[subject], dns.Endpoint);
            Assert.Equal([("rsa-sha256", true), ("ed25519-sha256", true)], verdicts.Select(v => (v.Algorithm, v.Pass)));
        }

        // The retry sends the deferred attempt's bytes again: the signature made once, at Ingest.
        var offered = deferring.Offered.ToList();
        Assert.Equal(2, offered.Count);
        Assert.Equal(offered[0].Data, offered[1].Data);
        Assert.All(await Dkimpy.VerifyAsync(offered[1].Data, dns.Endpoint), v => Assert.True(v.Pass, v.Line));
        Assert.Empty(await Dkimpy.VerifyAsync(arrived["unsigned"], dns.Endpoint));

        var delivered = captured.Events.Where(e => e.Name == TelemetryNames.RecipientDelivered).ToDictionary(e => e.Attributes["Recipient"], e => e.Attributes["Dkim"]);
        Assert.Equal(["signed", "signed", "signed", "no-key"], new[] { "b***@example.com", "c***@example.com", "d***@retry.example", "e***@example.com" }.Select(r => delivered[r]));

        // No private key anywhere but in its store: not in a log (any level), an exported record, a table row or a queue.
        var secrets = Directory.GetFiles(keys, "*.pem").SelectMany(PemLines).ToList();
        Assert.Equal(2, Directory.GetFiles(keys, "*.pem").Length);
        var everything = captured.Texts.Concat(await TablesAsync(azurite.Storage)).Concat(await QueuesAsync(azurite.Storage)).ToList();
        Assert.True(everything.Count > 100, $"Only {everything.Count} texts captured.");
        Assert.All(secrets, secret => Assert.DoesNotContain(everything, text => text.Contains(secret, StringComparison.Ordinal)));
        Directory.Delete(keys, recursive: true);
    }

    private static async Task SendAsync(SmtpWireClient client, string from, string to, string fields)
    {
        await client.CommandAsync($"MAIL FROM:<{from}>", "250 2.1.0");
        await client.CommandAsync($"RCPT TO:<{to}>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync($"From: <{from}>\r\nTo: <{to}>\r\n{fields}\r\nHello.\r\n.", "250 2.0.0 Ok: queued as ");
    }

    private static string Subject(byte[] message) =>
        Encoding.ASCII.GetString(message).Split("\r\n").First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..];

    /// <summary>The base64 lines of a PEM file: any of them found elsewhere is key material that leaked.</summary>
    private static IEnumerable<string> PemLines(string path) =>
        File.ReadAllLines(path).Where(l => l.Length >= 40 && !l.StartsWith("-----", StringComparison.Ordinal));

    private static async Task<List<string>> TablesAsync(MtaStorageClients storage)
    {
        var rows = new List<string>();
        foreach (var name in StorageNames.Tables)
        {
            await foreach (var row in storage.Tables.GetTableClient(name).QueryAsync<TableEntity>())
            {
                rows.Add(JsonSerializer.Serialize(row.ToDictionary(p => p.Key, p => p.Value?.ToString())));
            }
        }

        return rows;
    }

    private static async Task<List<string>> QueuesAsync(MtaStorageClients storage)
    {
        var messages = new List<string>();
        foreach (var name in StorageNames.Queues)
        {
            foreach (var message in (await storage.Queues.GetQueueClient(name).PeekMessagesAsync(32)).Value)
            {
                messages.Add(message.Body.ToString());
            }
        }

        return messages;
    }
}
