using System.Text;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// What the next hop receives is our trace header followed by the spooled bytes, byte for byte, whatever
/// they hold (<see cref="RelayCorpus"/>): checked against an independent SMTP server (cosullivan's SmtpServer,
/// which keeps the exact bytes of DATA), and against a real Postfix taking the message by BDAT (it offers
/// CHUNKING) and by DATA (CHUNKING left out of its EHLO), compared with what Postfix stores.
/// </summary>
public sealed class RelayFidelityTests(AzuriteFixture azurite, RelayFidelityTests.PostfixPair postfix) : IClassFixture<AzuriteFixture>, IClassFixture<RelayFidelityTests.PostfixPair>, IAsyncLifetime
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(30);

    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync() => _pipeline = await PipelineHarness.StartAsync(azurite);

    public async Task DisposeAsync() => await _pipeline.DisposeAsync();

    [Theory]
    [MemberData(nameof(RelayCorpus.Names), MemberType = typeof(RelayCorpus))]
    public async Task Deliver_IndependentSmtpServer_ReceivesTheTraceHeaderThenTheStoredBytesExactly(string name)
    {
        await using var sink = SmtpSink.Start();
        var (stored, smtpUtf8) = RelayCorpus.Messages[name];
        var task = await _pipeline.NewTaskAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", sink.Port, TlsMode.None), ["bob@example.com"], storedBytes: stored, smtpUtf8: smtpUtf8);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var received = await sink.WaitForAcceptedAsync(1, DeliveryWait);
        // DATA ends the last line: a message stored without a final CRLF (BDAT allows that) gets one.
        Assert.Equal(Expected(task.Headers, stored, ending: "\r\n"), received.Data);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@example.com")).Status);
    }

    [Theory]
    [MemberData(nameof(RelayCorpus.NamesForPostfix), MemberType = typeof(RelayCorpus))]
    public async Task Deliver_PostfixByBdat_StoresTheTraceHeaderThenTheStoredBytes(string name) =>
        await DeliverToPostfixAsync(postfix.Chunking, name);

    [Theory]
    [MemberData(nameof(RelayCorpus.NamesForPostfix), MemberType = typeof(RelayCorpus))]
    public async Task Deliver_PostfixByData_StoresTheTraceHeaderThenTheStoredBytes(string name) =>
        await DeliverToPostfixAsync(postfix.NoChunking, name);

    private async Task DeliverToPostfixAsync(PostfixNextHop hop, string name)
    {
        var (stored, smtpUtf8) = RelayCorpus.Messages[name];
        var recipient = $"{name}@{PostfixNextHop.Domain}";
        var task = await _pipeline.NewTaskAsync(new Route("*", RouteAction.Smarthost, "127.0.0.1", hop.Port, TlsMode.None), [recipient], storedBytes: stored, smtpUtf8: smtpUtf8);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
        var copy = await hop.WaitForDeliveredToAsync(recipient, DeliveryWait);
        // Postfix stores lines with LF and ends the last one.
        Assert.Equal(Lf(Expected(task.Headers, stored, ending: "\n")), PostfixNextHop.AsReceived(copy));
    }

    private static byte[] Lf(byte[] crlf) => Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(crlf).Replace("\r\n", "\n", StringComparison.Ordinal));

    private static byte[] Expected(string traceHeaders, byte[] stored, string ending) =>
        [.. Encoding.ASCII.GetBytes(traceHeaders), .. stored, .. stored.AsSpan().EndsWith("\n"u8) ? [] : Encoding.ASCII.GetBytes(ending)];

    /// <summary>Two Postfix instances for the class: one offers CHUNKING, the other leaves it out of EHLO.</summary>
    public sealed class PostfixPair : IAsyncLifetime
    {
        public PostfixNextHop Chunking { get; private set; } = null!;

        public PostfixNextHop NoChunking { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Chunking = await PostfixNextHop.StartAsync();
            NoChunking = await PostfixNextHop.StartAsync(new PostfixSettings { DiscardEhloKeywords = ["chunking"] });
        }

        public async Task DisposeAsync()
        {
            await Chunking.DisposeAsync();
            await NoChunking.DisposeAsync();
        }
    }
}
