using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Data.Tables;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Bicep.Tests;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Edge.Telemetry;
using MtaServerless.LocalRunner;
using MtaServerless.Pipeline.Telemetry;
using MtaServerless.Testing;
using OpenTelemetry.Metrics;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// What one authenticated submission exports, through the real edge, the functions on the local
/// runner, Azurite and real SMTP peers: one recipient delivered, one refused by its next hop, one
/// whose next hop cannot be reached until the lifetime ends. Names and dimensions are compared
/// with telemetry.json itself.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryEndToEndTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private const string User = "alice@example.com";
    private const string Password = "pw-6d1f0c-never-exported";
    private const string Subject = "subject-93ab7e-never-exported";
    private const string Body = "body-5c2d11-never-exported";
    private const string Delivered = "bob@example.com";
    private const string Refused = "carol@bounce.test";
    private const string Unreachable = "dave@unreachable.test";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static readonly TelemetryContract Contract = TelemetryContract.Load();

    [Fact]
    public async Task AuthenticatedSubmission_ThroughEdgeIngestAndDeliver_ExportsTheContractsTelemetryAndNoSecrets()
    {
        var captured = new CapturedTelemetry();
        await using var sink = SmtpSink.Start();
        await using var refusing = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = _ => $"550 5.1.1 <{Refused}>: Recipient address rejected" });
        await SeedAsync(sink.Port, refusing.Endpoint.Port, ClosedPort());
        var started = DateTimeOffset.UtcNow;
        using var runner = await InProcessRunner.StartAsync(azurite.ConnectionString, Settings(), services: captured.AddTo);

        var id = await SubmitAsync(runner);
        await sink.WaitForAcceptedAsync(3, Timeout); // bob's copy and the two DSNs to alice
        await WaitForAsync(() => Events(captured, TelemetryNames.RecipientExpired, id).Any() && Events(captured, TelemetryNames.RecipientDelivered, null).Count() == 3);
        await azurite.Storage.Queues.GetQueueClient(StorageNames.InboundQueue + StorageNames.PoisonSuffix).SendMessageAsync("poisoned");
        await runner.Services.GetRequiredService<QueueMetrics>().MeasureAsync(CancellationToken.None);
        Assert.True(runner.Services.GetRequiredService<MeterProvider>().ForceFlush());
        await runner.StopAsync();

        AssertOneTrace(captured, id);
        await AssertEventsAsync(captured, id, DateTimeOffset.UtcNow - started);
        AssertMetrics(captured);
        AssertNothingSecret(captured.Serialize());
    }

    [Fact]
    public void EdgeRoleName_IsTheContracts() =>
        Assert.Equal(EdgeServiceCollectionExtensions.TelemetryRoleName, Contract.EdgeRoleName);

    private static void AssertOneTrace(CapturedTelemetry captured, string id)
    {
        var accept = Assert.Single(captured.Spans, s => s.OperationName == "smtp.accept" && Tag(s, MtaTelemetry.MessageIdTag) == id);
        var trace = captured.Spans.Where(s => s.TraceId == accept.TraceId).ToList();

        Assert.Equal((ActivityKind.Server, default), (accept.Kind, accept.ParentSpanId));
        Assert.Equal(
            ("127.0.0.1", "submission", "submission", "True", "250"),
            (Tag(accept, "client.address"), Tag(accept, "mta.listener"), Tag(accept, "mta.listener.role"), Tag(accept, "smtp.authenticated"), Tag(accept, "smtp.reply_code")));
        Assert.StartsWith("Tls", Tag(accept, "smtp.tls"), StringComparison.Ordinal);
        Assert.All(trace.Where(s => s != accept), s => Assert.Contains(trace, parent => parent.SpanId == s.ParentSpanId));
        // The DSNs this message caused continue its trace under their own message ids.
        Assert.Single(trace, s => s.OperationName == "mta.ingest" && Tag(s, MtaTelemetry.MessageIdTag) == id);
        Assert.Equal(2, trace.Count(s => s.OperationName == "mta.ingest" && Tag(s, MtaTelemetry.MessageIdTag) != id));
        var delivers = trace.Where(s => s.OperationName == "mta.deliver" && Tag(s, MtaTelemetry.MessageIdTag) == id).ToList();
        Assert.True(delivers.Count >= 4, "One run per route, and retries of the unreachable one.");
        var relays = trace.Where(s => s.OperationName == "smtp.relay").ToList();
        Assert.Contains(relays, r => Tag(r, "smtp.reply_codes") == "250");
        Assert.Contains(relays, r => Tag(r, "smtp.reply_codes") == "550");
        Assert.Contains(relays, r => r.Status == ActivityStatusCode.Error);

        var session = Assert.Single(captured.Spans, s => s.OperationName == "smtp.session" && s.SpanId == Assert.Single(accept.Links).Context.SpanId);
        Assert.NotEqual(accept.TraceId, session.TraceId);
        Assert.Equal(("True", "submission", accept.GetTagItem("smtp.tls")), (Tag(session, "smtp.authenticated"), Tag(session, "mta.listener"), session.GetTagItem("smtp.tls")));
    }

    private async Task AssertEventsAsync(CapturedTelemetry captured, string id, TimeSpan elapsed)
    {
        // The edge's throttling events need failed logins and limits: ThrottlingTelemetryTests exports them.
        foreach (var (name, dimensions) in Contract.Events.Where(e => e.Key is not (TelemetryNames.AuthThrottled or TelemetryNames.UserLimitReached)))
        {
            var emitted = Events(captured, name, null).ToList();
            Assert.True(emitted.Count > 0, $"No {name} was exported.");
            Assert.All(emitted, e => Assert.Equal(dimensions.Order(StringComparer.Ordinal), Dimensions(e)));
        }

        var accepted = Assert.Single(Events(captured, TelemetryNames.MessageAccepted, id));
        Assert.Equal(("submission", "3", "True"), (accepted["Listener"], accepted["RecipientCount"], accepted["Authenticated"]));
        Assert.StartsWith("Tls", accepted["Tls"], StringComparison.Ordinal);
        Assert.Equal(await SpoolSizeAsync(id), long.Parse(accepted["SizeBytes"]!, CultureInfo.InvariantCulture));

        var delivered = Assert.Single(Events(captured, TelemetryNames.RecipientDelivered, id));
        Assert.Equal(("b***@example.com", "127.0.0.1", "250", "2.0.0", "1", "none"), (delivered["Recipient"], delivered["RemoteHost"], delivered["ReplyCode"], delivered["EnhancedStatusCode"], delivered["Attempt"], delivered["Tls"]));
        Assert.InRange(long.Parse(delivered["LatencyMs"]!, CultureInfo.InvariantCulture), 0, (long)elapsed.TotalMilliseconds);

        var bounced = Assert.Single(Events(captured, TelemetryNames.RecipientBounced, id));
        Assert.Equal(("c***@bounce.test", "127.0.0.1", "550", "5.1.1", "1"), (bounced["Recipient"], bounced["RemoteHost"], bounced["ReplyCode"], bounced["EnhancedStatusCode"], bounced["Attempt"]));

        var deferred = Events(captured, TelemetryNames.RecipientDeferred, id).ToList();
        var expired = Assert.Single(Events(captured, TelemetryNames.RecipientExpired, id));
        Assert.Equal(("d***@unreachable.test", "0", "4.4.1"), (expired["Recipient"], expired["ReplyCode"], expired["EnhancedStatusCode"]));
        Assert.Equal(deferred.Count + 1, int.Parse(expired["Attempt"]!, CultureInfo.InvariantCulture));
        Assert.All(deferred, d => Assert.Equal(("d***@unreachable.test", "0", "4.4.1"), (d["Recipient"], d["ReplyCode"], d["EnhancedStatusCode"])));
        Assert.All(deferred, d => Assert.True(DateTimeOffset.TryParse(d["NextAttemptUtc"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)));
    }

    private static void AssertMetrics(CapturedTelemetry captured)
    {
        foreach (var (name, dimensions) in Contract.Metrics)
        {
            var points = Points(captured, name);
            Assert.True(points.Count > 0, $"No {name} was exported.");
            Assert.All(points, p => Assert.Equal(dimensions.Order(StringComparer.Ordinal), Keys(p).Order(StringComparer.Ordinal)));
        }

        var depth = Points(captured, TelemetryNames.QueueDepth).ToDictionary(p => TagValue(p, "Queue")!, p => p.GetGaugeLastValueLong());
        Assert.Equal(StorageNames.Queues.Order(StringComparer.Ordinal), depth.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, depth[StorageNames.InboundQueue + StorageNames.PoisonSuffix]);
        Assert.Equal(0, depth[StorageNames.InboundQueue]);
        var oldest = Points(captured, TelemetryNames.QueueOldestAge).ToDictionary(p => TagValue(p, "Queue")!, p => p.GetGaugeLastValueDouble());
        Assert.InRange(oldest[StorageNames.InboundQueue + StorageNames.PoisonSuffix], 0, 60);
        Assert.Equal(0, oldest[StorageNames.InboundQueue]);

        var connections = Points(captured, TelemetryNames.EdgeConnectionsActive).ToDictionary(p => TagValue(p, "Listener")!, p => p.GetGaugeLastValueLong());
        Assert.Equal(new Dictionary<string, long> { ["mx"] = 0, ["submission"] = 0 }, connections);

        Assert.Equal(1, Assert.Single(Points(captured, EdgeMetricNames.MessagesAccepted), p => TagValue(p, "Listener") == "submission").GetSumLong());
        var latency = Assert.Single(Points(captured, DeliveryEvents.LatencyMetric));
        Assert.Equal(Events(captured, TelemetryNames.RecipientDelivered, null).Count(), latency.GetHistogramCount());
    }

    private static void AssertNothingSecret(string exported)
    {
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{User}\0{Password}"));
        foreach (var secret in new[] { Password, plain, Subject, Body, Delivered, Refused, Unreachable })
        {
            Assert.DoesNotContain(secret, exported, StringComparison.OrdinalIgnoreCase);
        }

        // The scan itself saw the events and the spans.
        Assert.Contains("b***@example.com", exported, StringComparison.Ordinal);
        Assert.Contains("smtp.accept", exported, StringComparison.Ordinal);
    }

    private static IEnumerable<CapturedLog> Events(CapturedTelemetry captured, string name, string? messageId) =>
        captured.Logs.Where(l => l[MtaTelemetry.CustomEventNameAttribute] == name && (messageId is null || l["MessageId"] == messageId));

    private static IEnumerable<string> Dimensions(CapturedLog log) =>
        log.Attributes.Keys.Where(k => k is not ("{OriginalFormat}" or MtaTelemetry.CustomEventNameAttribute)).Order(StringComparer.Ordinal);

    private static List<MetricPoint> Points(CapturedTelemetry captured, string name)
    {
        var snapshot = captured.Metrics.LastOrDefault(m => m.Name == name);
        return snapshot is null ? [] : [.. snapshot.MetricPoints];
    }

    private static IEnumerable<string> Keys(MetricPoint point)
    {
        var keys = new List<string>();
        foreach (var tag in point.Tags)
        {
            keys.Add(tag.Key);
        }

        return keys;
    }

    private static string? TagValue(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return Convert.ToString(tag.Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static string? Tag(Activity span, string key) => Convert.ToString(span.GetTagItem(key), CultureInfo.InvariantCulture);

    private static async Task WaitForAsync(Func<bool> done)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!done())
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    private async Task<long> SpoolSizeAsync(string id)
    {
        await foreach (var blob in azurite.Storage.Spool.GetBlobsAsync())
        {
            if (blob.Name.EndsWith($"/{id}.eml", StringComparison.Ordinal))
            {
                return blob.Properties.ContentLength ?? -1;
            }
        }

        throw new InvalidOperationException($"No spool blob for {id}.");
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = InProcessRunner.SubmissionListener("submission", ListenerRole.Submission, Path.Combine(Path.GetTempPath(), "mta-telemetry-tests", azurite.QueuePort.ToString(CultureInfo.InvariantCulture)));
        settings["Pipeline:MaxLifetime"] = "00:00:04";

        // Every log the MTA writes is exported and scanned, debug included.
        settings["Logging:LogLevel:MtaServerless"] = "Debug";
        return settings;
    }

    private async Task SeedAsync(int sinkPort, int refusingPort, int closedPort)
    {
        foreach (var route in new[]
        {
            new Route("example.com", RouteAction.Smarthost, "127.0.0.1", sinkPort, TlsMode.None, AcceptsInbound: true),
            new Route("bounce.test", RouteAction.Smarthost, "127.0.0.1", refusingPort, TlsMode.None),
            new Route("unreachable.test", RouteAction.Smarthost, "127.0.0.1", closedPort, TlsMode.None),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        await azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password), Mailbox: false, Disabled: false)), TableUpdateMode.Replace);
    }

    /// <returns>The message id from the edge's <c>250 2.0.0 Ok: queued as {id}</c>.</returns>
    private static async Task<string> SubmitAsync(IHost runner)
    {
        const string Queued = "2.0.0 Ok: queued as ";
        var endpoint = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[1];
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(User));
        message.To.AddRange([MailboxAddress.Parse(Delivered), MailboxAddress.Parse(Refused), MailboxAddress.Parse(Unreachable)]);
        message.Subject = Subject;
        message.Body = new TextPart("plain") { Text = Body + "\r\n" };

        using var client = new SmtpClient { LocalDomain = "client.test", ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(User, Password);
        var reply = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
        Assert.StartsWith(Queued, reply, StringComparison.Ordinal);
        return reply[Queued.Length..].Trim();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Spans and metrics are process-wide: these tests run alone, so no other test's telemetry mixes in.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
