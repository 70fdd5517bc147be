using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Spf;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>What the interoperability corpus does not show: the result's identity and reason, HELO names that are no domain, the budget.</summary>
public sealed class SpfVerifierTests : IDisposable
{
    private readonly LoopbackDnsServer _server = new();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task AddMtaPipeline_RegistersSpfVerifier_OnTheConfiguredNameServers()
    {
        _server.Record("example.test", "v=spf1 -all");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Pipeline:NameServers"] = _server.Endpoint.ToString() })
            .Build();
        await using var services = new ServiceCollection().AddLogging().AddMtaPipeline(configuration).BuildServiceProvider();

        var result = await services.GetRequiredService<ISpfVerifier>().CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "a@example.test", CancellationToken.None);

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task CheckAsync_Ip4Match_ReasonNamesTheMechanism()
    {
        _server.Record("example.test", "v=spf1 ip4:192.0.2.0/24 -all");

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "user@example.test", CancellationToken.None);

        Assert.Equal(new SpfResult(AuthVerdict.Pass, "example.test", false, "mechanism ip4:192.0.2.0/24 matched"), result);
    }

    [Theory]
    [InlineData("user@bücher.example", "helo.test")]
    [InlineData("", "mail.bücher.example")]
    [InlineData("jürgen@BÜCHER.example", "helo.test")]
    public async Task CheckAsync_InternationalizedIdentity_IsCheckedAsItsALabels(string mailFrom, string helo)
    {
        _server.Record("xn--bcher-kva.example", "v=spf1 ip4:192.0.2.0/24 -all");
        _server.Record("mail.xn--bcher-kva.example", "v=spf1 ip4:192.0.2.0/24 -all");

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), helo, mailFrom, CancellationToken.None);

        Assert.Equal(AuthVerdict.Pass, result.Verdict);
        Assert.EndsWith("xn--bcher-kva.example", result.Domain, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_NullSender_ChecksTheHeloName()
    {
        _server.Record("helo.test", "v=spf1 -all");

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), "helo.test", string.Empty, CancellationToken.None);

        Assert.Equal(new SpfResult(AuthVerdict.Fail, "helo.test", true, "mechanism -all matched"), result);
    }

    [Theory]
    [InlineData("[192.0.2.1]")]
    [InlineData("[IPv6:2001:db8::1]")]
    [InlineData("192.0.2.1")]
    [InlineData("localhost")]
    [InlineData("bad..name.test")]
    public async Task CheckAsync_HeloThatIsNoDomain_IsNoneWithoutAQuery(string helo)
    {
        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), helo, string.Empty, CancellationToken.None);

        Assert.Equal(AuthVerdict.None, result.Verdict);
        Assert.True(result.FromHelo);
        Assert.Equal(0, _server.Queries);
    }

    [Fact]
    public async Task CheckAsync_Ipv4MappedClient_IsComparedAsIpv4()
    {
        _server.Record("mapped.test", "v=spf1 exists:%{ir}.%{v}.mapped.test -all").Address("10.2.0.192.in-addr.mapped.test", "127.0.0.2");

        var result = await On(_server).CheckAsync(IPAddress.Parse("::ffff:192.0.2.10"), "mail.client.test", "a@mapped.test", CancellationToken.None);

        Assert.Equal(AuthVerdict.Pass, result.Verdict);
    }

    [Fact]
    public async Task CheckAsync_SlowNameServer_IsTempError()
    {
        _server.Record("slow.test", "v=spf1 include:a.slow.test -all").Record("a.slow.test", "v=spf1 ?all").Slow("a.slow.test", TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();

        var result = await On(_server, TimeSpan.FromMilliseconds(300)).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "a@slow.test", CancellationToken.None);

        Assert.Equal(AuthVerdict.TempError, result.Verdict);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task CheckAsync_EveryAnswerJustInTime_IsTempErrorAtTheBudget()
    {
        // Ten includes answered in 500 ms each against a timeout of 1 s: no query fails, the whole check would take
        // 5 s, and the budget of 4 timeouts (4 s) ends it.
        var includes = Enumerable.Range(1, 10).Select(i => $"i{i}.budget.test").ToList();
        _server.Record("budget.test", "v=spf1 " + string.Join(' ', includes.Select(i => "include:" + i)) + " -all");
        foreach (var include in includes)
        {
            _server.Record(include, "v=spf1 ?all").Slow(include, TimeSpan.FromMilliseconds(500));
        }

        var clock = Stopwatch.StartNew();

        var result = await On(_server, TimeSpan.FromSeconds(1)).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "a@budget.test", CancellationToken.None);

        Assert.Equal(new SpfResult(AuthVerdict.TempError, "budget.test", false, "no answer within 4 s"), result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task CheckAsync_IncludeLoop_IsPermErrorAtTheEleventhLookup()
    {
        _server.Record("loop.test", "v=spf1 include:loop.test -all");

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "a@loop.test", CancellationToken.None);

        Assert.Equal(new SpfResult(AuthVerdict.PermError, "loop.test", false, "more than 10 DNS lookups"), result);
        Assert.Equal(11, _server.Queries);
    }

    [Fact]
    public async Task CheckAsync_PtrWithElevenNames_ConfirmsOnlyTen()
    {
        _server.Record("ptr11.test", "v=spf1 ptr -all");
        for (var i = 1; i <= 11; i++)
        {
            _server.Pointer("192.0.2.10", $"h{i}.ptr11.test").Address($"h{i}.ptr11.test", "198.51.100.1");
        }

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", "a@ptr11.test", CancellationToken.None);

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
        // The TXT record, the PTR query and the addresses of the first 10 names (RFC 7208 4.6.4).
        Assert.Equal(12, _server.Queries);
    }

    [Theory]
    [InlineData("exists:%{l}.odd.test", "a..b")]
    [InlineData("exists:%{l}.odd.test", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("exists:%_.odd.test", "a")]
    [InlineData("a:%{l}.odd.test", "\"quoted\"")]
    public async Task CheckAsync_ExpansionIntoNoPossibleName_IsNoMatch(string mechanism, string localPart)
    {
        _server.Record("odd.test", $"v=spf1 {mechanism} -all");

        var result = await On(_server).CheckAsync(IPAddress.Parse("192.0.2.10"), "mail.client.test", $"{localPart}@odd.test", CancellationToken.None);

        Assert.Equal(new SpfResult(AuthVerdict.Fail, "odd.test", false, "mechanism -all matched"), result);
    }

    /// <summary>Our verifier, asking only <paramref name="server"/>.</summary>
    public static SpfVerifier On(LoopbackDnsServer server, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        var options = Options.Create(new PipelineOptions { NameServers = server.Endpoint.ToString(), DnsTimeout = timeout ?? TimeSpan.FromSeconds(2) });
        return new SpfVerifier(new AuthenticationDns(options), options, NullLogger<SpfVerifier>.Instance);
    }
}
