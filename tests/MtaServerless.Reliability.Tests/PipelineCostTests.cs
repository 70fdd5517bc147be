using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Pipeline.Ingest;
using MtaServerless.Pipeline.Sweep;
using MtaServerless.Testing;

namespace MtaServerless.Reliability.Tests;

/// <summary>
/// Issue 14's cost target: a message relayed on the first attempt costs 6 storage transactions of ours, from
/// the edge's spool write to the result record, whether it has one recipient or ten: the spool blob and its
/// inbound message, the sweeper's index entry, the records (written already leased to Ingest, which makes the
/// first attempt without a delivery task), the blob's read for the relay (Ingest's, when it checks or signs the message,
/// handed to the first attempt), and the results. Later the sweeper
/// looks at it: its partition read and a share of one batch. A sweep with nothing due costs one query. The queue
/// trigger's receive and delete of the inbound message are the Functions host's and are not counted here.
/// </summary>
public sealed class PipelineCostTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly Dictionary<string, long> FirstAttemptRelay = new()
    {
        ["blob PUT object"] = 1,
        ["queue POST messages"] = 1,
        ["table POST batch"] = 2,
        ["table POST table"] = 1,
        ["blob GET object"] = 1,
    };

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private readonly StorageTransactionCounter _counter = new();
    private readonly string _keys = Path.Combine(Path.GetTempPath(), "mta-cost-dkim-" + Guid.NewGuid().ToString("N"));
    private readonly LoopbackDnsServer _dns = new();
    private ScriptedSmtpServer _smarthost = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _smarthost = ScriptedSmtpServer.Start("127.0.0.1", 0);
        await azurite.Storage.Inbound.ClearMessagesAsync();
        await azurite.Storage.Delivery.ClearMessagesAsync();
        await azurite.Storage.Routes.UpsertEntityAsync(
            RouteEntity.FromRoute(new Route("*", RouteAction.Smarthost, "127.0.0.1", _smarthost.Endpoint.Port, TlsMode.None)), TableUpdateMode.Replace);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [StorageNames.Connection] = azurite.ConnectionString,
            ["Pipeline:HostName"] = "relay.test",
            ["Dkim:KeyDirectory"] = _keys,
            // Mail to the mx listener is checked (SPF, DKIM, DMARC): its queries go to a DNS server on loopback.
            ["Pipeline:NameServers"] = _dns.Endpoint.ToString(),
        }).Build();
        _services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(MtaStorageClients.FromConnectionString(azurite.ConnectionString, _counter))
            .AddMtaPipeline(configuration)
            .BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _smarthost.DisposeAsync();
        _dns.Dispose();
        if (Directory.Exists(_keys))
        {
            Directory.Delete(_keys, recursive: true);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    public async Task RelayedOnTheFirstAttempt_CostsSixTransactions(int recipients)
    {
        var to = Enumerable.Range(1, recipients).Select(i => $"rcpt{i}@example.com").ToList();
        // The routes table is cached for its TTL; a busy app reads it once per TTL, not per message.
        await _services.GetRequiredService<RouteCatalog>().GetAsync(CancellationToken.None);
        _counter.Reset();

        await RelayAsync(to);

        Assert.Equal(FirstAttemptRelay, _counter.Snapshot());
        Assert.Equal(to, Assert.Single(_smarthost.Accepted).To);
        Assert.StartsWith("Authentication-Results: relay.test;", System.Text.Encoding.ASCII.GetString(_smarthost.Accepted.Last().Data), StringComparison.Ordinal);
    }

    /// <summary>Ingest reads the blob to sign the message and hands it to the first attempt: signing adds no transaction.</summary>
    [Fact]
    public async Task SignedAndRelayedOnTheFirstAttempt_CostsTheSameSix()
    {
        await new DkimKeyManager(azurite.Storage.DkimKeys, new DirectoryDkimKeyStore(_keys), TimeProvider.System).AddAsync("example.org", "cost", DkimAlgorithm.RsaSha256, CancellationToken.None);
        // The first signs with the key loaded, and the routes and keys tables read, for their TTL.
        await RelayAsync(["warm@example.com"], submittedBy: "alice@example.org");
        _counter.Reset();

        await RelayAsync(["signed@example.com"], submittedBy: "alice@example.org");

        Assert.Equal(FirstAttemptRelay, _counter.Snapshot());
        Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=cost;", System.Text.Encoding.ASCII.GetString(_smarthost.Accepted.Last().Data), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_NothingDue_CostsOneQuery()
    {
        await SweepDueAsync();
        _counter.Reset();

        var sweep = await _services.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);

        Assert.Equal(0, sweep.Entries);
        Assert.Equal(new Dictionary<string, long> { ["table GET entity"] = 1 }, _counter.Snapshot());
    }

    [Fact]
    public async Task Sweep_TwentyMessagesRelayedOnTheFirstAttempt_ReadsFifteenMessagesPerQueryAndRemovesTheEntriesInOneBatch()
    {
        await SweepDueAsync();
        for (var i = 0; i < 20; i++)
        {
            await RelayAsync([$"swept{i}@example.com"]);
        }

        _time.Advance(new PipelineOptions().SweepAfter + TimeSpan.FromMinutes(1));
        _counter.Reset();
        var sweep = await _services.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);

        Assert.Equal((20, 20), (sweep.Entries, sweep.Finished));
        // The index query, then the messages' partitions 15 and 5 per query; the entries removed in one entity group transaction.
        Assert.Equal(new Dictionary<string, long> { ["table GET entity"] = 1 + 2, ["table POST batch"] = 1 }, _counter.Snapshot());
    }

    /// <param name="submittedBy">The login of a submission, which Ingest signs; by default the message came to the mx listener.</param>
    private async Task RelayAsync(IReadOnlyList<string> recipients, string? submittedBy = null)
    {
        var inbound = await SpoolAsync(recipients, submittedBy);
        await _services.GetRequiredService<IngestStage>().RunAsync(inbound, CancellationToken.None);
    }

    /// <summary>Leaves nothing due in the index (entries of the class's earlier tests included).</summary>
    private async Task SweepDueAsync()
    {
        _time.Advance(TimeSpan.FromDays(1));
        await _services.GetRequiredService<Sweeper>().SweepAsync(CancellationToken.None);
    }

    private async Task<InboundMessage> SpoolAsync(IReadOnlyList<string> recipients, string? submittedBy)
    {
        var spool = _services.GetRequiredService<IMessageSpool>();
        await using var transaction = await spool.BeginAsync(_time.GetUtcNow(), CancellationToken.None);
        await transaction.Body.WriteAsync("From: alice@example.org\r\nSubject: cost\r\n\r\n"u8.ToArray().Concat(new byte[10 * 1024].Select(_ => (byte)'x')).ToArray());
        return await transaction.CommitAsync(
            new Envelope("alice@example.org", recipients.Select(r => new EnvelopeRecipient(r)).ToList()),
            submittedBy is null
                ? new SessionInfo("192.0.2.1", "client.test", "ESMTP", "mx", _time.GetUtcNow(), "edge.test")
                : new SessionInfo("192.0.2.1", "client.test", "ESMTPSA", "submission", _time.GetUtcNow(), "edge.test", AuthUser: submittedBy, Submission: true),
            null,
            CancellationToken.None);
    }
}
