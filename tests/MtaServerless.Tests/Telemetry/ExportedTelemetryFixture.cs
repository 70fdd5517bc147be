using System.Diagnostics;
using Azure.Data.Tables;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Core.Users;
using MtaServerless.Edge;
using MtaServerless.Functions;
using MtaServerless.LocalRunner;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Pipeline.Telemetry;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// Runs the MTA's hosts against a loopback ingestion endpoint through the real Azure Monitor exporter, once for
/// the whole Telemetry collection, and keeps what arrived:
/// <list type="bullet">
/// <item>the local runner (edge and functions in one process): one authenticated submission whose recipients are
/// deferred then delivered, bounced, and never answered until they expire, with the DSNs that causes; a message
/// the edge refuses at end of data; and a queued message whose spool blob is gone, which fails Ingest and Deliver;</item>
/// <item>the edge and the Functions worker as deployed, each with its own registration and role: messages accepted
/// by the edge, then taken from the queues by the worker's function classes, as the Functions host hands them over;
/// delivered messages once with every trace kept and once with every trace sampled out, then failing messages with
/// the default sampling (a message the edge refuses, a recipient refused, one deferred, and a message whose spool blob
/// is gone).</item>
/// </list>
/// </summary>
public sealed class ExportedTelemetryFixture : IAsyncLifetime
{
    public const string User = "alice@example.com";
    public const string Password = "pw-6d1f0c-never-exported";
    public const string Subject = "subject-93ab7e-never-exported";
    public const string Body = "body-5c2d11-never-exported";
    public const string RetriedRecipient = "carol@retry.test";
    public const string RefusedRecipient = "dave@bounce.test";
    public const string UnansweredRecipient = "erin@drop.test";

    /// <summary>A recipient whose next hop always answers 451, in the failing messages of the deployed hosts.</summary>
    public const string DeferredRecipient = "gina@defer.test";

    /// <summary>The recipient of a message whose delivery task was lost long ago: the sweeper re-drives it, and it expires.</summary>
    public const string SweptRecipient = "frank@example.com";
    public const string WorkerRecipient = "bob@example.com";
    public const string FunctionAppName = "func-mta-test";
    public const string EdgeInstance = "edge-group-1";
    public const string HashKey = "a-test-secret-of-16+";

    /// <summary>A user allowed one recipient a day, so that its second RCPT runs into the limit (and no message is sent).</summary>
    public const string LimitedUser = "limited@example.com";

    /// <summary>Where a password guesser connects from, apart from everything else (Edge:Limits:MaxAuthFailuresPerAddress = 2).</summary>
    public const string GuesserAddress = "127.0.0.3";

    /// <summary>How many messages the deployed edge and worker carry, each as the cost table's: 10 KiB to one recipient, delivered at the first attempt.</summary>
    public const int WorkerMessages = 4;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly AzuriteFixture _azurite = new();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mta-exported-telemetry-" + Guid.NewGuid().ToString("N"));

    internal ExportedTelemetry LocalRunner { get; private set; } = null!;

    /// <summary>The submission's id, from the edge's 250 reply.</summary>
    public string MessageId { get; private set; } = null!;

    /// <summary>The queued message whose spool blob is gone, and the trace its document carries.</summary>
    public string LostMessageId { get; } = "lost-" + Guid.NewGuid().ToString("N")[..12];

    public ActivityTraceId LostTraceId { get; } = ActivityTraceId.CreateRandom();

    /// <summary>The message whose task was lost, found by the sweeper.</summary>
    public string SweptMessageId { get; } = Guid.CreateVersion7().ToString("N");

    internal ExportedTelemetry Deployed { get; private set; } = null!;

    internal ExportedTelemetry DeployedSampledOut { get; private set; } = null!;

    /// <summary>The failing messages through the deployed hosts, at the default Telemetry:TraceSamplingRatio.</summary>
    internal ExportedTelemetry DeployedFailures { get; private set; } = null!;

    /// <summary>In <see cref="DeployedFailures"/>: the queued message whose spool blob is gone, in a trace the default ratio does not sample.</summary>
    public string DeployedLostMessageId { get; } = "lost-" + Guid.NewGuid().ToString("N")[..12];

    public ActivityTraceId DeployedLostTraceId { get; } = UnsampledTraceId();

    public async Task InitializeAsync()
    {
        await _azurite.InitializeAsync();
        await using var sink = SmtpSink.Start();
        await using var retrying = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = n => n == 1 ? "451 4.3.0 Try again later" : "250 2.0.0 Ok" });
        await using var refusing = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = _ => $"550 5.1.1 <{RefusedRecipient}>: Recipient address rejected" });
        await using var dropping = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = _ => null });
        await using var deferring = ScriptedSmtpServer.Start("127.0.0.1", 0, new SmtpScript { Data = _ => "451 4.3.0 Try again later" });
        await SeedAsync(
            new Route("example.com", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None, AcceptsInbound: true),
            new Route("retry.test", RouteAction.Smarthost, "127.0.0.1", retrying.Endpoint.Port, TlsMode.None),
            new Route("bounce.test", RouteAction.Smarthost, "127.0.0.1", refusing.Endpoint.Port, TlsMode.None),
            new Route("drop.test", RouteAction.Smarthost, "127.0.0.1", dropping.Endpoint.Port, TlsMode.None),
            new Route("defer.test", RouteAction.Smarthost, "127.0.0.1", deferring.Endpoint.Port, TlsMode.None));

        LocalRunner = await RunLocalRunnerAsync();
        Deployed = await RunDeployedAsync(sink, "1", SendDeliveredAsync, WorkerMessages);
        DeployedSampledOut = await RunDeployedAsync(sink, "0", SendDeliveredAsync, WorkerMessages);

        // The one delivery is the DSN of the refused recipient, to the sender.
        DeployedFailures = await RunDeployedAsync(sink, samplingRatio: null, SendFailingAsync, deliveries: 1);
    }

    public async Task DisposeAsync()
    {
        await _azurite.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task<ExportedTelemetry> RunLocalRunnerAsync()
    {
        await using var ingestion = LoopbackIngestion.Start();
        var storage = Path.Combine(_directory, "local-runner");
        var settings = ExporterSettings(ingestion, storage, samplingRatio: "1");
        settings["Edge:Listeners:1:Name"] = "submission";
        settings["Edge:Listeners:1:Role"] = "Submission";
        settings["Edge:Listeners:1:Address"] = "127.0.0.1";
        settings["Edge:Listeners:1:Port"] = "0";
        settings["Pipeline:MaxLifetime"] = "00:00:04";
        settings["Edge:Limits:MaxAuthFailuresPerAddress"] = "2";
        settings["Edge:Limits:AuthFailureDelay"] = "00:00:00.100";
        // Mail from elsewhere is checked against a DNS server on loopback: its event is the authentication panel's.
        using var dns = new LoopbackDnsServer();
        dns.Txt("example.org", ["v=spf1 ip4:127.0.0.1 -all"]);
        dns.Txt("_dmarc.example.org", ["v=DMARC1; p=reject"]);
        settings["Authentication:Enabled"] = "true";
        settings["Pipeline:NameServers"] = dns.Endpoint.ToString();
        // Every log the MTA writes is exported and scanned for secrets, debug included.
        settings["Logging:LogLevel:MtaServerless"] = "Debug";
        foreach (var (key, value) in DevelopmentTls.EnsureConfigured(new ConfigurationBuilder().Build(), Path.Combine(_directory, "tls")))
        {
            settings[key] = value;
        }

        using var runner = await InProcessRunner.StartAsync(_azurite.ConnectionString, settings);
        var edge = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;
        MessageId = await SubmitAsync(edge[1], RetriedRecipient, RefusedRecipient, UnansweredRecipient);
        await SendRefusedAsync(edge[0]);
        await ReceiveFromElsewhereAsync(edge[0]);
        await GuessAndRunIntoALimitAsync(edge[1]);
        await QueueLostMessageAsync(LostMessageId, LostTraceId);
        await LoseATaskAsync();
        await runner.Services.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);

        // The retried recipient, the message from elsewhere and the three DSNs (bounce, expiry, the swept recipient's expiry)
        // are delivered; the lost message's runs fail.
        await WaitForAsync(runner.Services, ingestion, rows =>
            rows.Events(TelemetryNames.RecipientExpired, MessageId).Any()
            && rows.Events(TelemetryNames.RecipientRedriven, SweptMessageId).Any()
            && rows.Events(TelemetryNames.MessageAuthenticated).Any()
            && rows.Events(TelemetryNames.RecipientDelivered).Count() == 5
            && rows.Requests("mta.deliver").Any(r => r.OperationId == LostTraceId.ToHexString()));

        await _azurite.Storage.Queues.GetQueueClient(StorageNames.InboundQueue + StorageNames.PoisonSuffix).SendMessageAsync("poisoned");
        await runner.Services.GetRequiredService<QueueMetrics>().MeasureAsync(CancellationToken.None);
        TelemetryProviders.Flush(runner.Services);
        await runner.StopAsync();

        // The lost message and its task would come back after their visibility timeout: they are not for the next hosts.
        await _azurite.Storage.Inbound.ClearMessagesAsync();
        await _azurite.Storage.Delivery.ClearMessagesAsync();
        return ExportedTelemetry.From(ingestion, storage);
    }

    /// <summary>The edge as its program registers it, then the Functions worker's registration with the function classes.</summary>
    /// <param name="samplingRatio">Telemetry:TraceSamplingRatio; null for the default.</param>
    /// <param name="send">What the edge is sent.</param>
    /// <param name="deliveries">How many messages reach the sink.</param>
    private async Task<ExportedTelemetry> RunDeployedAsync(SmtpSink sink, string? samplingRatio, Func<System.Net.IPEndPoint, Task> send, int deliveries)
    {
        await using var ingestion = LoopbackIngestion.Start();
        var storage = Path.Combine(_directory, "deployed-" + (samplingRatio ?? "default"));
        var delivered = sink.Accepted.Count;
        var edgeSettings = ExporterSettings(ingestion, storage, samplingRatio);
        edgeSettings["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=" + EdgeInstance;
        await using (var edge = await EdgeHost.StartAsync(_azurite.ConnectionString, edgeSettings, telemetry: true))
        {
            await send(edge.Endpoint);
            TelemetryProviders.Flush(edge.Services);
        }

        var workerSettings = ExporterSettings(ingestion, storage, samplingRatio);
        workerSettings[StorageNames.Connection] = _azurite.ConnectionString;
        workerSettings[FunctionsTelemetry.SiteNameSetting] = FunctionAppName;
        workerSettings["Pipeline:HostName"] = "relay.test";
        workerSettings["Telemetry:RecipientAddresses"] = "Hashed";
        workerSettings["Telemetry:RecipientHashKey"] = HashKey;
        using var worker = new HostBuilder()
            .ConfigureAppConfiguration(configuration => configuration.AddInMemoryCollection(workerSettings))
            .ConfigureServices((context, services) =>
            {
                services.AddMtaPipeline(context.Configuration);
                services.AddMtaFunctionsTelemetry(context.Configuration);
                services.AddSingleton<IngestFunction>().AddSingleton<DeliverFunction>().AddSingleton<QueueMetricsFunction>();
            })
            .Build();
        await worker.StartAsync();
        await DrainAsync(StorageNames.InboundQueue, worker.Services.GetRequiredService<IngestFunction>().RunAsync);
        await DrainAsync(StorageNames.DeliveryQueue, worker.Services.GetRequiredService<DeliverFunction>().RunAsync);
        await worker.Services.GetRequiredService<QueueMetricsFunction>().RunAsync(new Microsoft.Azure.Functions.Worker.TimerInfo(), CancellationToken.None);
        Assert.Equal(delivered + deliveries, sink.Accepted.Count);
        TelemetryProviders.Flush(worker.Services);
        await worker.StopAsync();

        // A failed run's message and a deferred task come back after their visibility timeout: they are not for the next hosts.
        await _azurite.Storage.Inbound.ClearMessagesAsync();
        await _azurite.Storage.Delivery.ClearMessagesAsync();
        return ExportedTelemetry.From(ingestion, storage);
    }

    /// <summary>Single-recipient 10 KiB messages, each delivered at the first attempt: the cost table's.</summary>
    private static async Task SendDeliveredAsync(System.Net.IPEndPoint edge)
    {
        for (var i = 0; i < WorkerMessages; i++)
        {
            await SubmitAsync(edge, WorkerRecipient);
        }
    }

    private async Task SendFailingAsync(System.Net.IPEndPoint edge)
    {
        await SendRefusedAsync(edge);
        await SubmitAsync(edge, RefusedRecipient);
        await SubmitAsync(edge, DeferredRecipient);
        await QueueLostMessageAsync(DeployedLostMessageId, DeployedLostTraceId);
    }

    /// <summary>
    /// Hands every visible message of a queue to a function, as the Functions host's queue trigger does: deleted when
    /// the function returns, left for a later retry when it throws.
    /// </summary>
    private async Task DrainAsync(string queue, Func<string, CancellationToken, Task> function)
    {
        var client = _azurite.Storage.Queues.GetQueueClient(queue);
        while ((await client.ReceiveMessagesAsync(maxMessages: 32)).Value is { Length: > 0 } messages)
        {
            foreach (var message in messages)
            {
                try
                {
                    await function(message.MessageText, CancellationToken.None);
                }
                catch (Exception) when (message.MessageText.Contains(DeployedLostMessageId, StringComparison.Ordinal))
                {
                    // The lost message's runs fail on purpose; any other failure fails the fixture.
                    continue;
                }

                await client.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }
    }

    private static Dictionary<string, string?> ExporterSettings(LoopbackIngestion ingestion, string storageDirectory, string? samplingRatio) => new()
    {
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ingestion.ConnectionString,
        ["AzureMonitorExporter:StorageDirectory"] = storageDirectory,
        [$"{TelemetryOptions.Section}:{nameof(TelemetryOptions.TraceSamplingRatio)}"] = samplingRatio,
    };

    /// <summary>A trace id that the default ratio leaves out: its first 64 bits are far above the sampled share.</summary>
    private static ActivityTraceId UnsampledTraceId() =>
        ActivityTraceId.CreateFromString("7f" + ActivityTraceId.CreateRandom().ToHexString()[2..]);

    private async Task SeedAsync(params Route[] routes)
    {
        foreach (var route in routes)
        {
            await _azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        await _azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(User, PasswordHasher.Hash(Password), Mailbox: false, Disabled: false)), TableUpdateMode.Replace);
        await _azurite.Storage.Users.UpsertEntityAsync(UserEntity.FromAccount(new UserAccount(LimitedUser, PasswordHasher.Hash(Password), Mailbox: false) { RecipientsPerDay = 1 }), TableUpdateMode.Replace);
    }

    /// <summary>A client guessing passwords over two connections, then throttled (mta.auth.throttled); a user's second recipient in a day (mta.user.limit_reached).</summary>
    private static async Task GuessAndRunIntoALimitAsync(System.Net.IPEndPoint submission)
    {
        for (var connection = 0; connection < 2; connection++)
        {
            await using var guesser = await LogInAsync(submission, GuesserAddress, User, "wrong");
            await guesser.ExpectAsync("535 5.7.8");
        }

        await using (var throttled = await LogInAsync(submission, GuesserAddress, User, Password))
        {
            await throttled.ExpectAsync("421 4.7.0");
        }

        await using var limited = await LogInAsync(submission, "127.0.0.4", LimitedUser, Password);
        await limited.ExpectAsync("235 2.7.0");
        await limited.CommandAsync($"MAIL FROM:<{LimitedUser}>", "250 2.1.0");
        await limited.CommandAsync("RCPT TO:<someone@retry.test>", "250 2.1.5");
        await limited.CommandAsync("RCPT TO:<someone-else@retry.test>", "451 4.7.1");
        await limited.CommandAsync("QUIT", "221");
    }

    private static async Task<SmtpWireClient> LogInAsync(System.Net.IPEndPoint submission, string from, string user, string password)
    {
        var client = await SmtpWireClient.ConnectAsync(submission, localAddress: System.Net.IPAddress.Parse(from));
        await client.GreetAsync();
        await client.CommandAsync("STARTTLS", "220");
        await client.StartTlsAsync();
        await client.CommandAsync("EHLO client.example", "250");
        await client.SendAsync("AUTH PLAIN " + SmtpWireClient.Plain(user, password) + "\r\n");
        return client;
    }

    /// <summary>Authenticated on the submission listener when it offers STARTTLS; as a trusted relay client on an MX listener.</summary>
    /// <returns>The message id from the edge's <c>250 2.0.0 Ok: queued as {id}</c>.</returns>
    private static async Task<string> SubmitAsync(System.Net.IPEndPoint endpoint, params string[] recipients)
    {
        const string Queued = "2.0.0 Ok: queued as ";
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(User));
        message.To.AddRange(recipients.Select(MailboxAddress.Parse));
        message.Subject = Subject;
        message.Body = new TextPart("plain") { Text = Body + "\r\n" + new string('x', 10 * 1024) + "\r\n" };

        using var client = new SmtpClient { LocalDomain = "client.test", ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, SecureSocketOptions.StartTlsWhenAvailable);
        if (client.Capabilities.HasFlag(SmtpCapabilities.Authentication))
        {
            await client.AuthenticateAsync(User, Password);
        }

        var reply = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
        Assert.StartsWith(Queued, reply, StringComparison.Ordinal);
        return reply[Queued.Length..].Trim();
    }

    /// <summary>A message from another domain's MTA on the MX listener, which Ingest checks (<c>mta.message.authenticated</c>).</summary>
    private static async Task ReceiveFromElsewhereAsync(System.Net.IPEndPoint mx)
    {
        await using var client = await SmtpWireClient.ConnectAsync(mx);
        await client.GreetAsync();
        await client.CommandAsync("EHLO mta.example.org", "250");
        await client.CommandAsync("MAIL FROM:<someone@example.org>", "250");
        await client.CommandAsync("RCPT TO:<" + WorkerRecipient + ">", "250");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("From: someone@example.org\r\nSubject: from elsewhere\r\n\r\nHello.\r\n.", "250 2.0.0");
        await client.CommandAsync("QUIT", "221");
    }

    /// <summary>A message with a bare LF, which the edge refuses at end of data (<c>550 5.6.11</c>).</summary>
    private static async Task SendRefusedAsync(System.Net.IPEndPoint mx)
    {
        await using var client = await SmtpWireClient.ConnectAsync(mx);
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<someone@example.org>", "250");
        await client.CommandAsync("RCPT TO:<" + WorkerRecipient + ">", "250");
        await client.CommandAsync("DATA", "354");
        await client.SendAsync("Subject: smuggled\r\n\r\nbare\nline feed\r\n.\r\n");
        await client.ExpectAsync("550 5.6.11");
        await client.CommandAsync("QUIT", "221");
    }

    /// <summary>
    /// An inbound document whose spool blob is gone: Ingest enqueues the routed recipient's task, then fails
    /// reading the blob for the DSN the unroutable one is owed; Deliver fails reading it for the relay.
    /// </summary>
    private async Task QueueLostMessageAsync(string messageId, ActivityTraceId traceId)
    {
        var received = DateTimeOffset.UtcNow;
        var document = new InboundMessage(
            messageId,
            StorageNames.SpoolBlobName(messageId, received),
            new Envelope(User, [new EnvelopeRecipient(WorkerRecipient), new EnvelopeRecipient("grace@nowhere.invalid")]),
            // Relayed by a trusted network, so that the first attempt's run is the one to find the blob missing: Ingest reads
            // it before any routing for mail from elsewhere (its checks) and for a client's (fields forged in our name).
            new SessionInfo("127.0.0.1", "client.test", "ESMTP", "mx", received, "edge.test", Trusted: true),
            $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        await _azurite.Storage.Inbound.SendMessageAsync(QueueDocuments.Serialize(document));
    }

    /// <summary>A message whose delivery task was lost an hour ago: its record, its index entry and its blob, and no task in any queue.</summary>
    private async Task LoseATaskAsync()
    {
        var arrived = DateTimeOffset.UtcNow.AddHours(-1);
        var blob = StorageNames.SpoolBlobName(SweptMessageId, arrived);
        await _azurite.Storage.Spool.GetBlobClient(blob).UploadAsync(BinaryData.FromString("Subject: lost\r\n\r\nFound again.\r\n"));
        await _azurite.Storage.Deliveries.AddEntityAsync(DeliveryEntity.Queued(SweptMessageId, SweptRecipient, "example.com", arrived));
        var task = new DeliveryTask(SweptMessageId, blob, User, [], "Received: from a ([127.0.0.1]) by edge.test; Sat, 28 Nov 2026 14:05:09 +0000\r\n", 1, arrived, SmtpUtf8: false);
        await _azurite.Storage.Deliveries.AddEntityAsync(DueEntry.For(task, DateTimeOffset.UtcNow.AddMinutes(-1)));
    }

    /// <summary>Exports traces and logs every quarter second until what arrived satisfies <paramref name="done"/>.</summary>
    private static async Task WaitForAsync(IServiceProvider services, LoopbackIngestion ingestion, Func<ExportedTelemetry, bool> done)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            TelemetryProviders.Flush(services, metrics: false);
            if (done(ExportedTelemetry.From(ingestion)))
            {
                return;
            }

            await Task.Delay(250, timeout.Token);
        }
    }
}

/// <summary>
/// Spans and metrics are process-wide: these tests run alone, so no other test's telemetry mixes in, and share
/// one run of the hosts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection : ICollectionFixture<ExportedTelemetryFixture>
{
    public const string Name = "Telemetry";
}
