using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>The DNS queries of SPF, DKIM and DMARC against a real DNS server on loopback: answers, void answers and failures as outcomes.</summary>
public sealed class AuthenticationDnsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);
    private readonly LoopbackDnsServer _server = new();
    private readonly AuthenticationDns _dns;

    public AuthenticationDnsTests() =>
        _dns = new AuthenticationDns(Options.Create(new PipelineOptions { NameServers = _server.Endpoint.ToString(), DnsTimeout = Timeout }));

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task TxtAsync_RecordOfSeveralStrings_JoinsThemWithoutSeparator()
    {
        _server.Txt("multi.test", ["v=spf1 ip4:192.0.2.0/24", " -all"]).Txt("multi.test", ["second"]);

        var answer = await _dns.TxtAsync("multi.test", CancellationToken.None);

        Assert.Equal(DnsOutcome.Found, answer.Outcome);
        Assert.Equal(["second", "v=spf1 ip4:192.0.2.0/24 -all"], answer.Records.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TxtAsync_UnknownName_IsNonExistentAndVoid()
    {
        var answer = await _dns.TxtAsync("nowhere.test", CancellationToken.None);

        Assert.Equal(DnsOutcome.NonExistent, answer.Outcome);
        Assert.True(answer.IsVoid);
    }

    [Fact]
    public async Task TxtAsync_NameWithOtherRecordsOnly_IsNoDataAndVoid()
    {
        _server.Address("host.test", "192.0.2.1");

        var answer = await _dns.TxtAsync("host.test", CancellationToken.None);

        Assert.Equal(DnsOutcome.NoData, answer.Outcome);
        Assert.True(answer.IsVoid);
        Assert.Empty(answer.Records);
    }

    [Theory]
    [InlineData("a..b.test")]
    [InlineData(".test")]
    [InlineData("")]
    public async Task TxtAsync_NameWithAnEmptyLabel_IsNonExistentWithoutAQuery(string name)
    {
        var answer = await _dns.TxtAsync(name, CancellationToken.None);

        Assert.Equal(DnsOutcome.NonExistent, answer.Outcome);
        Assert.Equal(0, _server.Queries);
    }

    [Fact]
    public async Task AddressesAsync_ServerFailure_IsTempErrorAndNotVoid()
    {
        _server.ServerFailure("broken.test");

        var answer = await _dns.AddressesAsync("broken.test", AddressFamily.InterNetwork, CancellationToken.None);

        Assert.Equal(DnsOutcome.TempError, answer.Outcome);
        Assert.False(answer.IsVoid);
    }

    [Fact]
    public async Task TxtAsync_SlowServer_IsTempErrorSoonAfterTheTimeout()
    {
        _server.Txt("slow.test", ["late"]).Slow("slow.test", TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();

        var answer = await _dns.TxtAsync("slow.test", CancellationToken.None);

        Assert.Equal(DnsOutcome.TempError, answer.Outcome);
        // One try and one retry of 500 ms each; the bound is generous for a busy machine, far below the server's 10 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"{clock.Elapsed}");
    }

    [Fact]
    public async Task AddressesAsync_EachFamily_AsksItsOwnType()
    {
        _server.Address("dual.test", "192.0.2.7").Address("dual.test", "2001:db8::7");

        var v4 = await _dns.AddressesAsync("dual.test", AddressFamily.InterNetwork, CancellationToken.None);
        var v6 = await _dns.AddressesAsync("dual.test", AddressFamily.InterNetworkV6, CancellationToken.None);

        Assert.Equal([IPAddress.Parse("192.0.2.7")], v4.Records);
        Assert.Equal([IPAddress.Parse("2001:db8::7")], v6.Records);
    }

    [Fact]
    public async Task MxAsync_Exchanges_WithoutTrailingDot()
    {
        _server.Mx("mail.test", 10, "mx1.mail.test");

        var answer = await _dns.MxAsync("mail.test", CancellationToken.None);

        Assert.Equal(["mx1.mail.test"], answer.Records);
    }

    [Theory]
    [InlineData("192.0.2.40")]
    [InlineData("2001:db8:d::7")]
    public async Task PointersAsync_Address_NamesOfItsReverseRecord(string address)
    {
        _server.Pointer(address, "host.ptr.test").Pointer(address, "other.ptr.test");

        var answer = await _dns.PointersAsync(IPAddress.Parse(address), CancellationToken.None);

        Assert.Equal(["host.ptr.test", "other.ptr.test"], answer.Records.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PointersAsync_NoReverseRecord_IsVoid()
    {
        var answer = await _dns.PointersAsync(IPAddress.Parse("192.0.2.99"), CancellationToken.None);

        Assert.True(answer.IsVoid);
    }
}
