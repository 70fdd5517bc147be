using System.Net;
using System.Net.Sockets;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Delivery by MX against a real DNS server on loopback and several scripted SMTP servers, each on
/// its own loopback address (127.0.0.x, or ::1 for IPv6) and the route's port, as MX hosts are.
/// </summary>
public sealed class MxDeliveryTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(15);
    private readonly LoopbackDnsServer _dns = new();
    private readonly List<ScriptedSmtpServer> _servers = [];
    private PipelineHarness _pipeline = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineHarness.StartAsync(azurite, new Dictionary<string, string?> { ["Pipeline:NameServers"] = _dns.Endpoint.ToString() });
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _dns.Dispose();
        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Deliver_FirstMxGreetsWith421_DeliversThroughTheNextPreference()
    {
        var busy = Server("127.0.0.2", new SmtpScript { Greeting = "421 4.3.2 Too busy" });
        var good = Server("127.0.0.3");
        _dns.Mx("pref.example", 20, "mx2.pref.example").Mx("pref.example", 10, "mx1.pref.example")
            .Address("mx1.pref.example", "127.0.0.2").Address("mx2.pref.example", "127.0.0.3");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@pref.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@pref.example");
        Assert.Equal((DeliveryStatus.Delivered, "mx2.pref.example"), (record.Status, record.RemoteHost));
        Assert.Equal(1, busy.Connections);
        var mail = Assert.Single(good.Accepted);
        Assert.Equal(["bob@pref.example"], mail.To);
        Assert.Equal("relay.test", mail.Helo);
    }

    [Fact]
    public async Task Deliver_FirstMxRefusesTheConnection_DeliversThroughTheNextHost()
    {
        var good = Server("127.0.0.3");
        await AssertRefusedAsync("127.0.0.5", CancellationToken.None);
        _dns.Mx("refused.example", 10, "mx1.refused.example").Mx("refused.example", 20, "mx2.refused.example")
            .Address("mx1.refused.example", "127.0.0.5").Address("mx2.refused.example", "127.0.0.3");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@refused.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@refused.example");
        Assert.Equal((DeliveryStatus.Delivered, "mx2.refused.example"), (record.Status, record.RemoteHost));
        Assert.Equal(["bob@refused.example"], Assert.Single(good.Accepted).To);
    }

    [Fact]
    public async Task Deliver_StartTlsBrokenOnTheOnlyMx_OpportunisticTlsDeliversOnceInPlaintextToTheSameHost()
    {
        var broken = Server("127.0.0.2", new SmtpScript { StartTls = true, FailedTlsHandshakes = int.MaxValue });
        _dns.Mx("badtls.example", 10, "mx1.badtls.example").Address("mx1.badtls.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@badtls.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@badtls.example");
        Assert.Equal((DeliveryStatus.Delivered, "mx1.badtls.example"), (record.Status, record.RemoteHost));
        // As Postfix at security level "may": the handshake fails, the same host is tried again without STARTTLS.
        Assert.Equal(2, broken.Connections);
        Assert.False(Assert.Single(broken.Accepted).Tls);
    }

    [Theory]
    [InlineData(TlsMode.Required)]
    [InlineData(TlsMode.Implicit)]
    public async Task Deliver_TlsBrokenOnTheOnlyHost_RequiredTlsNeverFallsBackToPlaintext(TlsMode tls)
    {
        var broken = Server("127.0.0.2", new SmtpScript { StartTls = true, FailedTlsHandshakes = int.MaxValue });
        _dns.Mx("strict.example", 10, "mx1.strict.example").Address("mx1.strict.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute() with { Tls = tls }, ["bob@strict.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@strict.example");
        Assert.Equal(DeliveryStatus.Deferred, record.Status);
        Assert.StartsWith("451 4.4.1 ", record.LastReply, StringComparison.Ordinal);
        Assert.Equal(1, broken.Connections);
        Assert.Empty(broken.Accepted);
    }

    [Fact]
    public async Task Deliver_SlowGreetingOnFirstMx_TriesTheNextHost()
    {
        var slow = Server("127.0.0.2", new SmtpScript { GreetingDelay = TimeSpan.FromSeconds(6) });
        var good = Server("127.0.0.3");
        _dns.Mx("slowgreet.example", 10, "a.slowgreet.example").Mx("slowgreet.example", 20, "b.slowgreet.example")
            .Address("a.slowgreet.example", "127.0.0.2").Address("b.slowgreet.example", "127.0.0.3");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@slowgreet.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@slowgreet.example")).Status);
        Assert.Equal(1, slow.Connections);
        Assert.Empty(slow.Accepted);
        Assert.Single(good.Accepted);
    }

    [Fact]
    public async Task Deliver_NoMxRecord_UsesTheDomainsOwnAddress()
    {
        var server = Server("127.0.0.4");
        _dns.Address("implicit.example", "127.0.0.4");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@implicit.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@implicit.example")).Status);
        Assert.Single(server.Accepted);
    }

    [Fact]
    public async Task Deliver_ScriptedRepliesPerRecipient_DeliversDefersAndBouncesEachOnItsOwn()
    {
        var server = Server("127.0.0.2", new SmtpScript
        {
            Rcpt = (recipient, seen) => recipient switch
            {
                "later@mixed.example" when seen == 0 => "451 4.2.1 Mailbox busy",
                "gone@mixed.example" => "550 5.1.1 No such user",
                _ => "250 2.1.5 Ok",
            },
        });
        _dns.Mx("mixed.example", 10, "mx.mixed.example").Address("mx.mixed.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["ok@mixed.example", "later@mixed.example", "gone@mixed.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "ok@mixed.example")).Status);
        var later = await _pipeline.RecordAsync(task.Id, "later@mixed.example");
        Assert.Equal((DeliveryStatus.Deferred, 1, "451 4.2.1 Mailbox busy"), (later.Status, later.Attempts, later.LastReply));
        var gone = await _pipeline.RecordAsync(task.Id, "gone@mixed.example");
        Assert.Equal((DeliveryStatus.Bounced, "550 5.1.1 No such user"), (gone.Status, gone.LastReply));

        var retry = await _pipeline.NextTaskAsync(RetryWait);
        Assert.Equal((2, task.FirstAttemptAt), (retry.Attempt, retry.FirstAttemptAt));
        Assert.Equal(["later@mixed.example"], retry.Recipients);
        await _pipeline.Deliver.RunAsync(retry, CancellationToken.None);

        later = await _pipeline.RecordAsync(task.Id, "later@mixed.example");
        Assert.Equal((DeliveryStatus.Delivered, 2), (later.Status, later.Attempts));
        Assert.Equal([["ok@mixed.example"], ["later@mixed.example"]], server.Accepted.Select(m => m.To).ToList());
        Assert.Equal(0, await _pipeline.QueuedTaskCountAsync());
    }

    [Fact]
    public async Task Deliver_ConnectionDroppedAfterTheFinalDot_DefersAndDeliversOnTheRetry()
    {
        var server = Server("127.0.0.2", new SmtpScript { Data = n => n == 1 ? null : "250 2.0.0 Ok" });
        _dns.Mx("drop.example", 10, "mx.drop.example").Address("mx.drop.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@drop.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, "bob@drop.example");
        Assert.Equal(DeliveryStatus.Deferred, record.Status);
        Assert.StartsWith("451 4.4.2 ", record.LastReply, StringComparison.Ordinal);
        await _pipeline.Deliver.RunAsync(await _pipeline.NextTaskAsync(RetryWait), CancellationToken.None);

        Assert.Equal((DeliveryStatus.Delivered, 2), ((await _pipeline.RecordAsync(task.Id, "bob@drop.example")).Status, (await _pipeline.RecordAsync(task.Id, "bob@drop.example")).Attempts));
        Assert.Equal(2, server.DataAttempts);
        Assert.Single(server.Accepted);
    }

    [IPv6LoopbackTheory]
    [InlineData("v6.example", "mx.v6.example")]
    [InlineData("implicit6.example", null)]
    public async Task Deliver_MailServerWithOnlyAnAaaaRecord_DeliversOverIPv6(string domain, string? exchange)
    {
        var server = Server("::1");
        var host = exchange ?? domain;
        if (exchange is not null)
        {
            _dns.Mx(domain, 10, exchange);
        }

        _dns.Address(host, "::1");
        var task = await _pipeline.NewTaskAsync(MxRoute(), [$"bob@{domain}"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, $"bob@{domain}");
        Assert.Equal((DeliveryStatus.Delivered, host), (record.Status, record.RemoteHost));
        Assert.Equal([$"bob@{domain}"], Assert.Single(server.Accepted).To);
    }

    [Theory]
    [InlineData("nullmx.example", DeliveryStatus.Bounced, "556 5.1.10 ")]
    [InlineData("missing.example", DeliveryStatus.Bounced, "550 5.1.2 ")]
    [InlineData("servfail.example", DeliveryStatus.Deferred, "451 4.4.3 ")]
    [InlineData("slowdns.example", DeliveryStatus.Deferred, "451 4.4.3 ")]
    public async Task Deliver_DnsAnswer_DecidesPermanentOrTransient(string domain, string status, string reply)
    {
        _dns.NullMx("nullmx.example").ServerFailure("servfail.example")
            .Slow("slowdns.example", TimeSpan.FromSeconds(4)).Mx("slowdns.example", 10, "mx.slowdns.example").Address("mx.slowdns.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute(), [$"bob@{domain}"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        var record = await _pipeline.RecordAsync(task.Id, $"bob@{domain}");
        Assert.Equal(status, record.Status);
        Assert.StartsWith(reply, record.LastReply, StringComparison.Ordinal);
        Assert.Null(record.RemoteHost);
        Assert.Equal(status == DeliveryStatus.Deferred ? 1 : 0, await _pipeline.QueuedTaskCountAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Deliver_OpportunisticTls_EncryptsWhenOfferedAndDeliversInPlainTextOtherwise(bool offered)
    {
        var server = Server("127.0.0.2", new SmtpScript { StartTls = offered });
        _dns.Mx("tls.example", 10, "mx.tls.example").Address("mx.tls.example", "127.0.0.2");
        var task = await _pipeline.NewTaskAsync(MxRoute(), ["bob@tls.example"]);

        await _pipeline.Deliver.RunAsync(task, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Delivered, (await _pipeline.RecordAsync(task.Id, "bob@tls.example")).Status);
        Assert.Equal(offered, Assert.Single(server.Accepted).Tls);
    }

    [Fact]
    public async Task Deliver_EqualPreference_SpreadsTheFirstTryOverBothHosts()
    {
        var first = Server("127.0.0.2");
        var second = Server("127.0.0.3");
        _dns.Mx("equal.example", 10, "a.equal.example").Mx("equal.example", 10, "b.equal.example")
            .Address("a.equal.example", "127.0.0.2").Address("b.equal.example", "127.0.0.3");

        // 30 messages: the chance that one host gets every first try is 2^-29.
        for (var i = 0; i < 30; i++)
        {
            await _pipeline.Deliver.RunAsync(await _pipeline.NewTaskAsync(MxRoute(), ["bob@equal.example"]), CancellationToken.None);
        }

        Assert.Equal(30, first.Accepted.Count + second.Accepted.Count);
        Assert.NotEmpty(first.Accepted);
        Assert.NotEmpty(second.Accepted);
    }

    private Route MxRoute() => new("*", RouteAction.Mx, Port: _port, Tls: TlsMode.Opportunistic);

    /// <summary>A host of the test's port with no listener, so that the test relies on a refusal and not on a timeout.</summary>
    private async Task AssertRefusedAsync(string address, CancellationToken cancellationToken)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Parse(address), _port, cancellationToken).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    /// <summary>Every server of a test listens on the same port, on its own loopback address; the first one picks the port.</summary>
    private ScriptedSmtpServer Server(string address, SmtpScript? script = null)
    {
        var server = ScriptedSmtpServer.Start(address, _port, script);
        _port = server.Endpoint.Port;
        _servers.Add(server);
        return server;
    }
}
