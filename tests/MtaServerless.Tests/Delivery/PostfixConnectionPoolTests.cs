using System.Text.RegularExpressions;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// The connection pool against a real Postfix, whose smtpd logs what each connection did when it closes
/// (<c>disconnect from … starttls=1 mail=2 … rset=1 quit=1</c>): what we reuse and what we do not.
/// </summary>
public sealed partial class PostfixConnectionPoolTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan LogWait = TimeSpan.FromSeconds(30);

    private PipelineHarness _pipeline = null!;
    private PostfixNextHop? _postfix;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_postfix is not null)
        {
            await _postfix.DisposeAsync();
        }

        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_TwoTasksBackToBackOverStartTls_ShareOneConnectionAndHandshake_ResetAfterEachAndQuitWhenIdle()
    {
        var (postfix, route) = await StartAsync(new PostfixSettings { StartTls = true }, TlsMode.Required, new Dictionary<string, string?>());

        await DeliverAsync(route, $"first@{PostfixNextHop.Domain}");
        await DeliverAsync(route, $"second@{PostfixNextHop.Domain}");

        // A connection goes back to the pool after an accepted RSET, and is closed with QUIT once idle
        // (Pipeline:ConnectionIdleTimeout, 2 s): then Postfix logs what it did.
        var connection = Assert.Single(await ClosedConnectionsAsync(postfix, 1));
        Assert.Equal((1, 2, 2, 1), (connection["starttls"], connection["mail"], connection["rset"], connection["quit"]));
        Assert.Equal(2, (await postfix.WaitForDeliveredAsync(2, LogWait)).Count);
    }

    [Fact]
    public async Task Deliver_KeptConnectionTheHopClosed_NextMessageSentOnceOnANewConnection()
    {
        var (postfix, route) = await StartAsync(
            new PostfixSettings { CommandTimeout = TimeSpan.FromSeconds(1) },
            TlsMode.None,
            new Dictionary<string, string?> { ["Pipeline:ConnectionIdleTimeout"] = "00:01:00" });

        await DeliverAsync(route, $"first@{PostfixNextHop.Domain}");
        // Postfix hangs up on the idle connection we keep (a 421 timeout we do not read until we use it).
        Assert.Single(await ClosedConnectionsAsync(postfix, 1));
        await DeliverAsync(route, $"second@{PostfixNextHop.Domain}");

        // One transaction on each connection: the message tried on the dead one never reached Postfix, and was not sent twice.
        Assert.Equal([1, 1], (await ClosedConnectionsAsync(postfix, 2)).Select(c => c["mail"]));
        Assert.Equal(2, (await postfix.WaitForDeliveredAsync(2, LogWait)).Count);
    }

    private async Task<(PostfixNextHop Postfix, Route Route)> StartAsync(PostfixSettings settings, TlsMode tls, Dictionary<string, string?> pipeline)
    {
        _pipeline = await PipelineHarness.StartAsync(azurite, pipeline);
        _postfix = await PostfixNextHop.StartAsync(settings);
        return (_postfix, new Route("*", RouteAction.Smarthost, "127.0.0.1", _postfix.Port, tls));
    }

    private async Task DeliverAsync(Route route, string recipient)
    {
        var task = await _pipeline.NewTaskAsync(route, [recipient]);
        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);
        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, recipient)).Status);
    }

    /// <returns>Each closed connection's command counts, as smtpd logged them, once there are <paramref name="count"/>.</returns>
    private static async Task<IReadOnlyList<Dictionary<string, int>>> ClosedConnectionsAsync(PostfixNextHop postfix, int count)
    {
        using var timeout = new CancellationTokenSource(LogWait);
        while (true)
        {
            // Connections without a command are the harness's own check that the port is open.
            var closed = DisconnectLines().Matches(postfix.Log())
                .Where(m => !m.Groups["counts"].Value.StartsWith("commands=0", StringComparison.Ordinal))
                .Select(m => CommandCounts().Matches(m.Groups["counts"].Value).ToDictionary(c => c.Groups["command"].Value, c => int.Parse(c.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal))
                .ToList();
            if (closed.Count >= count)
            {
                return closed;
            }

            await Task.Delay(200, timeout.Token);
        }
    }

    [GeneratedRegex(@"smtpd\[\d+\]: disconnect from \S+ (?<counts>.*)$", RegexOptions.Multiline)]
    private static partial Regex DisconnectLines();

    [GeneratedRegex(@"(?<command>[a-z]+)=(?<n>\d+)(/\d+)?")]
    private static partial Regex CommandCounts();
}
