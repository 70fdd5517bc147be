using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;
using MtaServerless.Testing;
using Xunit.Abstractions;

namespace MtaServerless.Reliability.Tests;

/// <summary>
/// The runner as a real process, killed with SIGKILL at random points while it accepts and delivers,
/// and started again, and storage cut off for a few seconds and given back (every request reset, as in an
/// outage); Azurite, the storage proxies and the sinks outlive it. Every accepted recipient reaches the sink
/// once, or, when its next hop refuses it, is bounced and named in a DSN that reaches the sender's mailbox.
/// The one exception is SMTP's own at-least-once window (RFC 5321 6.1): killed after the next hop's 250 and
/// before the result is written, the work is done again once the lease ends; each such duplicate must follow
/// a kill, never an outage (a run retries its result write within its lease). DSNs are owed at least once: a
/// second one may follow a kill or an outage. The soak script runs it bigger through <c>MTA_CRASH_MESSAGES</c>,
/// <c>MTA_CRASH_KILLS</c>, <c>MTA_CRASH_OUTAGES</c> and <c>MTA_CRASH_SEED</c>.
/// </summary>
public sealed partial class RunnerCrashTests(AzuriteFixture azurite, ITestOutputHelper output) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    /// <summary>
    /// Both must outlast one run (here a lease also bounds the receive visibility, whose renewal the
    /// queue engine only starts after 5 minutes); after a kill, a run's queue message and its recipients come back after them.
    /// </summary>
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(10);

    private readonly SmtpSink _sink = SmtpSink.Start();
    private readonly SmtpSink _rejectingSink = SmtpSink.Start(_ => SmtpSink.Reply(550, "5.1.1 No such user here"));
    /// <summary>A DSN's time is when it was spooled, from its mailbox blob's name, to the second.</summary>
    private static readonly TimeSpan TimestampSlack = TimeSpan.FromSeconds(1);

    private const string BouncedInDeliver = "bounce.example";

    private readonly int _edgePort = AzuriteProcess.FreePorts().Blob;
    private readonly StorageFaultProxy[] _storage = [new(azurite.BlobPort), new(azurite.QueuePort), new(azurite.TablePort)];
    private readonly List<(DateTimeOffset From, DateTimeOffset To)> _outages = [];
    private QueueHostJson _hostJson = null!;
    private CrashHostProcess _host = null!;

    public async Task InitializeAsync()
    {
        foreach (var route in new[]
        {
            new Route("example.com", RouteAction.Smarthost, "127.0.0.1", _sink.Port, TlsMode.None, AcceptsInbound: true),
            new Route(BouncedInDeliver, RouteAction.Smarthost, "127.0.0.1", _rejectingSink.Port, TlsMode.None, AcceptsInbound: true),
            new Route("example.org", RouteAction.Mailbox, AcceptsInbound: true),
        })
        {
            await azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        _hostJson = await QueueHostJson.WriteAsync(new Dictionary<string, JsonNode?> { ["visibilityTimeout"] = "00:00:01", ["maxPollingInterval"] = "00:00:00.500" });
        var connection = _storage[2].Route(_storage[1].Route(_storage[0].Route(azurite.ConnectionString, "BlobEndpoint"), "QueueEndpoint"), "TableEndpoint");
        _host = new CrashHostProcess(new Dictionary<string, string>
        {
            [StorageNames.Connection] = connection,
            ["Edge__HostName"] = "edge.test",
            ["Edge__Listeners__0__Name"] = "mx",
            ["Edge__Listeners__0__Address"] = "127.0.0.1",
            ["Edge__Listeners__0__Port"] = _edgePort.ToString(CultureInfo.InvariantCulture),
            ["Pipeline__HostName"] = "relay.test",
            ["Pipeline__Backoff"] = "00:00:01",
            ["Pipeline__BackoffJitter"] = "0",
            // The lease also shortens the queue engine's receive visibility; the timeouts fit it (a hop of at most 9 s).
            ["Pipeline__LeaseDuration"] = LeaseDuration.ToString("c", CultureInfo.InvariantCulture),
            ["Pipeline__DnsTimeout"] = "00:00:00.250",
            ["Pipeline__MaxHostsTried"] = "1",
            ["Pipeline__ConnectTimeout"] = "00:00:02",
            ["Pipeline__DataTimeout"] = "00:00:05",
            ["Pipeline__QuitTimeout"] = "00:00:01",
            // No DNS server here answers the checks of received mail, and they are not what crashes test.
            ["Authentication__Enabled"] = "false",
            ["CrashHost__HostJson"] = _hostJson.Path,
            ["Logging__LogLevel__Default"] = "Warning",
        });
        await _host.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        foreach (var proxy in _storage)
        {
            await proxy.DisposeAsync();
        }

        _hostJson.Dispose();
        await _sink.DisposeAsync();
        await _rejectingSink.DisposeAsync();
    }

    [Fact]
    public async Task Runner_KilledAndStorageCutOffAtRandomWhileDelivering_EveryAcceptedRecipientIsFinalAndArrivesOnceOrInTheWindowOfAKill()
    {
        var messages = Setting("MTA_CRASH_MESSAGES", 40);
        var kills = Setting("MTA_CRASH_KILLS", 3);
        var outages = Setting("MTA_CRASH_OUTAGES", 2);
        var seed = Setting("MTA_CRASH_SEED", Environment.TickCount);
        var random = new Random(seed);
        var accepted = new ConcurrentDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var acceptedAt = new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(60 + (messages * 3)));

        var sending = SendAllAsync(messages, accepted, acceptedAt, done.Token);
        // Kills and outages in a random order, spread over the sending.
        var disruptions = Enumerable.Repeat(true, kills).Concat(Enumerable.Repeat(false, outages)).OrderBy(_ => random.Next()).ToList();
        for (var i = 1; i <= disruptions.Count; i++)
        {
            while (accepted.Count < i * messages / (disruptions.Count + 1))
            {
                await Task.Delay(20, done.Token);
            }

            await Task.Delay(random.Next(0, 1500), done.Token);
            if (disruptions[i - 1])
            {
                await _host.KillAsync();
                await Task.Delay(random.Next(0, 1000), done.Token);
                await _host.StartAsync(done.Token);
            }
            else
            {
                await CutOffStorageAsync(TimeSpan.FromMilliseconds(random.Next(1000, 4000)), done.Token);
            }
        }

        await sending;
        var records = await SettledAsync(accepted, done.Token);

        var copies = _sink.Accepted
            .SelectMany(mail => mail.To.Select(to => (Key: (Id: MessageIdOf(mail), Recipient: to), mail.ArrivedAt)))
            .GroupBy(c => c.Key)
            .ToDictionary(g => g.Key, g => g.Select(c => c.ArrivedAt).Order().ToList());
        var dsns = await DsnsAsync(accepted, done.Token);
        var expected = accepted.SelectMany(a => a.Value.Select(r => (Id: a.Key, Recipient: r))).ToList();
        var lost = expected.Where(k => records[k].Status == DeliveryStatus.Bounced ? !dsns.ContainsKey(k) : !copies.ContainsKey(k)).ToList();
        // The run that did it first must have died before it recorded that: a kill between the two. An outage is no excuse.
        var deliveredTwice = Again(copies).Where(d => !_host.Kills.Any(kill => Between(kill, d))).ToList();
        // Also a DSN owed by a killed run, which two copies of its task may both send once they come back together.
        var dsnTwice = Again(dsns)
            .Where(d => !_host.Kills.Any(kill => Between(kill, d) || (kill <= d.First && kill >= d.First - (2 * LeaseDuration) - TimestampSlack)))
            .Where(d => !_outages.Any(o => Between(o.From, d) || Between(o.To, d)))
            .ToList();
        // A 250 the client never read (the edge died before it was sent): the client sent the message again, as SMTP wants.
        var unacknowledged = copies.Keys.Select(k => k.Id).Distinct().Count(id => !accepted.ContainsKey(id));
        var recovery = RecoveryAfterKills(acceptedAt, copies);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"seed {seed}: {accepted.Count} messages accepted ({expected.Count} recipients, {expected.Count(k => records[k].Status == DeliveryStatus.Bounced)} bounced), {_host.Kills.Count} kills, {_outages.Count} storage outages ({string.Join(", ", _outages.Select(o => $"{(o.To - o.From).TotalSeconds:0.0} s"))}); duplicates in a kill's window: {Again(copies).Count()} deliveries, {Again(dsns).Count()} DSNs; {unacknowledged} messages delivered whose 250 the client never read (it sent them again); recovery after a kill (kill to the last delivery of a message accepted before it): {string.Join(", ", recovery.Select(r => $"{r.TotalSeconds:0.0} s"))}"));

        Assert.True(lost.Count == 0, $"Lost (seed {seed}): {string.Join(", ", lost)}{Environment.NewLine}{_host.RecentOutput}");
        Assert.True(deliveredTwice.Count == 0 && dsnTwice.Count == 0, $"Duplicates no kill explains (seed {seed}): {string.Join(", ", deliveredTwice.Concat(dsnTwice))}; kills at {string.Join(", ", _host.Kills.Select(k => k.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)))}");
        Assert.All(expected, k => Assert.Equal(k.Recipient.EndsWith(BouncedInDeliver, StringComparison.Ordinal) ? DeliveryStatus.Bounced : DeliveryStatus.Delivered, records[k].Status));
        Assert.All(records.Values, r => Assert.True(r.IsFinal, $"{r.PartitionKey} {r.Recipient}: {r.Status}"));
        Assert.Equal(0, await PoisonedAsync(done.Token));
    }

    [Fact]
    public async Task Edge_KilledMidData_ClientSeesNo250AndNothingIsEnqueued()
    {
        var spooledBefore = await CountAsync(azurite.Storage.Spool.GetBlobsAsync());
        await using var client = await SmtpWireClient.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _edgePort));
        await client.GreetAsync();
        await client.CommandAsync("MAIL FROM:<alice@example.org>", "250");
        await client.CommandAsync("RCPT TO:<middata@example.com>", "250");
        await client.CommandAsync("DATA", "354");
        await client.SendAsync("Subject: cut off\r\n\r\nThe first half of the body, and then the edge dies.\r\n");

        await _host.KillAsync();

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await client.SendAsync(".\r\n");
            await client.ReadReplyAsync();
        });
        Assert.Equal(0, (await azurite.Storage.Inbound.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(spooledBefore, await CountAsync(azurite.Storage.Spool.GetBlobsAsync()));
        // Restarted, the runner finds nothing to deliver: the half message never became a delivery.
        await _host.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(0, (await azurite.Storage.Inbound.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Empty(await ToListAsync(azurite.Storage.Deliveries.QueryAsync<DeliveryEntity>(r => r.Recipient == "middata@example.com")));
        Assert.Equal(0, _sink.DataAttempts);
    }

    private static bool Between(DateTimeOffset time, (object Key, DateTimeOffset First, DateTimeOffset Again) duplicate) =>
        time >= duplicate.First && time <= duplicate.Again + TimestampSlack;

    /// <summary>For each kill, how long until the last message accepted before it and still undelivered at it reached the sink.</summary>
    private List<TimeSpan> RecoveryAfterKills(ConcurrentDictionary<string, DateTimeOffset> acceptedAt, Dictionary<(string Id, string Recipient), List<DateTimeOffset>> copies)
    {
        var firstCopy = copies.GroupBy(c => c.Key.Id).ToDictionary(g => g.Key, g => g.Max(c => c.Value[0]), StringComparer.Ordinal);
        return _host.Kills
            .Select(kill => acceptedAt
                .Where(a => a.Value < kill && firstCopy.TryGetValue(a.Key, out var arrived) && arrived > kill)
                .Select(a => firstCopy[a.Key] - kill)
                .DefaultIfEmpty(TimeSpan.Zero)
                .Max())
            .ToList();
    }

    /// <summary>Every request to every storage service reset, for a while; the runner, the edge's clients and the test keep running.</summary>
    private async Task CutOffStorageAsync(TimeSpan length, CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.UtcNow;
        foreach (var proxy in _storage)
        {
            proxy.CutOff();
        }

        try
        {
            await Task.Delay(length, cancellationToken);
        }
        finally
        {
            foreach (var proxy in _storage)
            {
                proxy.Restore();
            }

            _outages.Add((from, DateTimeOffset.UtcNow));
        }
    }

    private async Task SendAllAsync(int messages, ConcurrentDictionary<string, IReadOnlyList<string>> accepted, ConcurrentDictionary<string, DateTimeOffset> acceptedAt, CancellationToken cancellationToken)
    {
        const int Senders = 4;
        await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = Senders, CancellationToken = cancellationToken }, async (n, token) =>
        {
            IReadOnlyList<string> recipients = (n % 4) switch
            {
                // Two recipients that share one delivery task and one SMTP transaction.
                0 => [$"crash{n}a@example.com", $"crash{n}b@example.com"],
                // The second one's next hop refuses it after the final dot: a bounce and a DSN to the sender.
                1 => [$"crash{n}@example.com", $"crash{n}@{BouncedInDeliver}"],
                _ => [$"crash{n}@example.com"],
            };
            while (true)
            {
                try
                {
                    var id = await SubmitAsync(n, recipients, token);
                    acceptedAt[id] = DateTimeOffset.UtcNow;
                    accepted[id] = recipients;
                    return;
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or SmtpProtocolException or SmtpCommandException { StatusCode: < (SmtpStatusCode)500 })
                {
                    // The edge is down or died mid-session: no 250 was read, so the message is ours to send again.
                    await Task.Delay(200, token);
                }
            }
        });
    }

    private async Task<string> SubmitAsync(int n, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        const string Queued = "2.0.0 Ok: queued as ";
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@example.org"));
        message.To.AddRange(recipients.Select(MailboxAddress.Parse));
        message.Subject = string.Create(CultureInfo.InvariantCulture, $"crash {n}");
        message.Body = new TextPart("plain") { Text = new string('x', 2000) + "\r\n" };
        using var client = new SmtpClient { LocalDomain = "client.test", Timeout = 10_000 };
        await client.ConnectAsync("127.0.0.1", _edgePort, SecureSocketOptions.None, cancellationToken);
        var reply = await client.SendAsync(message, cancellationToken);
        Assert.StartsWith(Queued, reply, StringComparison.Ordinal);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or SmtpProtocolException)
        {
            // Killed after its 250: the message is accepted all the same; only QUIT went unanswered.
        }

        return reply[Queued.Length..].Trim();
    }

    /// <summary>Every accepted recipient's record is final, and no queue holds anything (invisible and scheduled messages included).</summary>
    private async Task<Dictionary<(string Id, string Recipient), DeliveryEntity>> SettledAsync(ConcurrentDictionary<string, IReadOnlyList<string>> accepted, CancellationToken cancellationToken)
    {
        while (true)
        {
            var records = new Dictionary<(string Id, string Recipient), DeliveryEntity>();
            // Every recipient row; the sweeper's index entries are a partition of their own.
            await foreach (var record in azurite.Storage.Deliveries.QueryAsync<DeliveryEntity>(r => r.PartitionKey != DueEntry.Partition, cancellationToken: cancellationToken))
            {
                records[(record.PartitionKey, record.Recipient)] = record;
            }

            var settled = accepted.All(a => a.Value.All(r => records.TryGetValue((a.Key, r), out var record) && record.IsFinal))
                && (await azurite.Storage.Inbound.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == 0
                && (await azurite.Storage.Delivery.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == 0;
            if (settled)
            {
                return records;
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>For each accepted recipient named in a DSN in the sender's mailbox, when each such DSN was spooled.</summary>
    private async Task<Dictionary<(string Id, string Recipient), List<DateTimeOffset>>> DsnsAsync(ConcurrentDictionary<string, IReadOnlyList<string>> accepted, CancellationToken cancellationToken)
    {
        var found = new List<((string Id, string Recipient) Key, DateTimeOffset Written)>();
        var mailboxes = azurite.Storage.Blobs.GetBlobContainerClient(StorageNames.MailboxesContainer);
        await foreach (var blob in mailboxes.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "example.org/alice/", cancellationToken))
        {
            var content = (await mailboxes.GetBlobClient(blob.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToString();
            // The DSN's own Received: names the DSN; the returned message's names the original.
            var original = ReceivedId().Matches(content).Select(m => m.Groups[1].Value).FirstOrDefault(accepted.ContainsKey);
            if (original is not null)
            {
                var spooled = DateTimeOffset.ParseExact(blob.Name[(blob.Name.LastIndexOf('/') + 1)..][..16], "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                found.AddRange(FinalRecipient().Matches(content).Select(m => ((original, m.Groups[1].Value), spooled)));
            }
        }

        return found.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Select(f => f.Written).Order().ToList());
    }

    private static IEnumerable<(object Key, DateTimeOffset First, DateTimeOffset Again)> Again(Dictionary<(string Id, string Recipient), List<DateTimeOffset>> times) =>
        times.SelectMany(t => t.Value.Skip(1).Select((again, i) => ((object)t.Key, t.Value[i], again)));

    private async Task<int> PoisonedAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var queue in new[] { StorageNames.InboundQueue, StorageNames.DeliveryQueue })
        {
            count += (await azurite.Storage.Queues.GetQueueClient(queue + StorageNames.PoisonSuffix).GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;
        }

        return count;
    }

    private static string MessageIdOf(ReceivedMail mail) =>
        ReceivedId().Match(Encoding.Latin1.GetString(mail.Data)) is { Success: true } match ? match.Groups[1].Value : string.Empty;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static async Task<int> CountAsync<T>(IAsyncEnumerable<T> items)
    {
        var count = 0;
        await foreach (var _ in items)
        {
            count++;
        }

        return count;
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var rows = new List<T>();
        await foreach (var item in items)
        {
            rows.Add(item);
        }

        return rows;
    }

    [GeneratedRegex(@"Final-Recipient: rfc822; ?(\S+)")]
    private static partial Regex FinalRecipient();

    /// <summary>Our Received header names the message id the edge gave in its 250.</summary>
    [GeneratedRegex(@"\bid ([0-9a-f]{32})\b")]
    private static partial Regex ReceivedId();
}
