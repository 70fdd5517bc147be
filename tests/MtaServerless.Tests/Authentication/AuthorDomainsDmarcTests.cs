using System.Text;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;
using MtaServerless.Tests.Delivery;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// A forger hides a protected domain next to one of its own: a second <c>From:</c> field, or a second mailbox in one.
/// Every author domain is evaluated on a real DNS server and the strictest failure decides, so an enforcing route
/// quarantines such mail when any of its domains asks for it; past five domains none is looked up and the message counts
/// as failing. Mail of one author domain, however many fields or mailboxes name it, is evaluated as before.
/// </summary>
public sealed class AuthorDomainsDmarcTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private readonly LoopbackDnsServer _dns = new();
    private PipelineHarness _pipeline = null!;

    public async Task InitializeAsync()
    {
        // The harness's client (192.0.2.1) may send for example.org, the envelope's domain: SPF passes, aligned with
        // example.org and its subdomains. bank.example rejects what fails; watching.example only watches.
        _dns.Txt("example.org", ["v=spf1 ip4:192.0.2.1 -all"]);
        _dns.Txt("_dmarc.example.org", ["v=DMARC1; p=reject"]);
        _dns.Txt("_dmarc.bank.example", ["v=DMARC1; p=reject"]);
        _dns.Txt("_dmarc.watching.example", ["v=DMARC1; p=none"]);
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["Authentication:Enabled"] = "true",
            ["Pipeline:NameServers"] = _dns.Endpoint.ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _pipeline.DisposeAsync();
        _dns.Dispose();
    }

    [Theory]
    [InlineData("From: ceo@bank.example\r\nFrom: alice@example.org\r\n", "dmarc=fail (p=reject; no aligned SPF or DKIM pass; 2 author domains in From) header.from=bank.example", true)]
    [InlineData("From: alice@example.org\r\nFrom: ceo@bank.example\r\n", "dmarc=fail (p=reject; no aligned SPF or DKIM pass; 2 author domains in From) header.from=bank.example", true)]
    [InlineData("From: alice@example.org, ceo@bank.example\r\n", "dmarc=fail (p=reject; no aligned SPF or DKIM pass; 2 author domains in From) header.from=bank.example", true)]
    [InlineData("From: alice@example.org\r\nFrom: someone@watching.example\r\n", "dmarc=fail (p=none; no aligned SPF or DKIM pass; 2 author domains in From) header.from=watching.example", false)]
    [InlineData("From: alice@example.org, bob@news.example.org\r\n", "dmarc=pass (SPF example.org aligned; 2 author domains in From) header.from=example.org", false)]
    [InlineData("From: alice@example.org\r\nFrom: Alice <alice@EXAMPLE.org>\r\n", "dmarc=pass (SPF example.org aligned) header.from=example.org", false)]
    [InlineData("From: ceo@bank.example\r\n", "dmarc=fail (p=reject; no aligned SPF or DKIM pass) header.from=bank.example", true)]
    [InlineData("Sender: alice@example.org\r\n", "dmarc=permerror (no author domain in From)", false)]
    [InlineData("From: a@one.example, b@two.example, c@three.example, d@four.example, e@five.example\r\nFrom: alice@example.org\r\n", "dmarc=fail (6 author domains in From, more than 5: not evaluated) header.from=one.example", true)]
    public async Task TheStrictestAuthorDecides_AndAnEnforcingRouteQuarantinesWhatItAsks(string from, string expected, bool quarantined)
    {
        var message = await _pipeline.AcceptAsync(
            new Route("*", RouteAction.Mailbox, DmarcPolicy: DmarcPolicy.Enforce),
            ["bob@example.net"],
            Encoding.ASCII.GetBytes(from + "To: bob@example.net\r\nSubject: hi\r\n\r\nHello\r\n"));

        await _pipeline.Ingest.RunAsync(message, CancellationToken.None);

        var task = Assert.Single(await _pipeline.IndexAsync(), e => e.MessageId == message.Id).TaskFor([], attempt: 1, delayWarned: false);
        Assert.Contains(expected, task.Headers.Replace("\r\n\t", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(quarantined, task.DmarcFailed);
        var outcome = (await _pipeline.RecordAsync(message.Id, "bob@example.net")).GetOutcome()!;
        Assert.Equal(quarantined ? "2.7.0" : "2.0.0", outcome.Status.ToString());
    }
}
