using MtaServerless.Pipeline.Authentication;
using static MtaServerless.Tests.Authentication.DmarcZone;

namespace MtaServerless.Tests.Authentication;

/// <summary>Which of p=, sp= and np= applies, testing mode, and the temperror and permerror results.</summary>
public sealed class DmarcPolicyTests : IDisposable
{
    private readonly DmarcZone _zone = new();

    /// <summary>A record, the name that answers SERVFAIL, the From, MAIL FROM and signing domains, and the verdict.</summary>
    public static TheoryData<string, string, string, string, string?, AuthVerdict> ServerFailures => new()
    {
        // The From domain's own record is unknown.
        { "example.com: v=DMARC1; p=reject", "_dmarc.news.example.com", "news.example.com", "news.example.com", null, AuthVerdict.TempError },
        // The only relaxed identifier's Organizational Domain is unknown.
        { "example.com: v=DMARC1; p=reject", "_dmarc.bounce.example.com", "example.com", "bounce.example.com", null, AuthVerdict.TempError },
        // ... but another identifier aligns.
        { "example.com: v=DMARC1; p=reject", "_dmarc.bounce.example.com", "example.com", "bounce.example.com", "example.com", AuthVerdict.Pass },
        // Above the psd=n record that stops the walk: never queried.
        { "example.com: v=DMARC1; p=reject; psd=n", "_dmarc.com", "news.example.com", "bounce.example.com", null, AuthVerdict.Pass },
        // An identifier that is the From domain aligns without any walk.
        { "example.com: v=DMARC1; p=reject", "_dmarc.com", "example.com", "example.com", null, AuthVerdict.Pass },
        // Whether the From domain exists, for np=: unknown.
        { "example.com: v=DMARC1; p=none; np=reject", "broken.example.com", "broken.example.com", "unrelated.invalid", null, AuthVerdict.TempError },
    };

    public void Dispose() => _zone.Dispose();

    [Fact]
    public async Task Evaluate_SubdomainWithoutAnyRecord_AppliesNp()
    {
        _zone.Record("example.com", "v=DMARC1; p=none; sp=quarantine; np=reject");

        var result = await _zone.EvaluateAsync("ghost.example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject, "example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AAAA")]
    [InlineData("MX")]
    public async Task Evaluate_SubdomainWithAnyOfAddressOrMx_AppliesSp(string type)
    {
        _zone.Record("example.com", "v=DMARC1; p=none; sp=quarantine; np=reject");
        _ = type switch
        {
            "A" => _zone.Dns.Address("real.example.com", "192.0.2.1"),
            "AAAA" => _zone.Dns.Address("real.example.com", "2001:db8::1"),
            _ => _zone.Dns.Mx("real.example.com", 10, "mx.example.com"),
        };

        var result = await _zone.EvaluateAsync("real.example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Quarantine), (result.Verdict, result.Policy));
    }

    [Fact]
    public async Task Evaluate_SubdomainThatOnlyHasOtherRecords_ExistsAndAppliesSp()
    {
        _zone.Record("example.com", "v=DMARC1; p=none; sp=quarantine; np=reject");
        _zone.Dns.Txt("txt-only.example.com", ["hello"]);

        var result = await _zone.EvaluateAsync("txt-only.example.com", NoSpf);

        Assert.Equal(DmarcRequest.Quarantine, result.Policy);
    }

    [Fact]
    public async Task Evaluate_NonExistentSubdomainWithoutNp_FallsBackToSpThenP()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; sp=quarantine").Record("example.net", "v=DMARC1; p=reject");

        var withSp = await _zone.EvaluateAsync("ghost.example.com", NoSpf);
        var withP = await _zone.EvaluateAsync("ghost.example.net", NoSpf);

        Assert.Equal(DmarcRequest.Quarantine, withSp.Policy);
        Assert.Equal(DmarcRequest.Reject, withP.Policy);
    }

    [Fact]
    public async Task Evaluate_NpAndSpOnTheFromDomainsOwnRecord_AreIgnoredForP()
    {
        _zone.Record("example.com", "v=DMARC1; p=quarantine; sp=none; np=reject");

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal(DmarcRequest.Quarantine, result.Policy);
    }

    [Fact]
    public async Task Evaluate_PassingMessageOfANonExistentSubdomain_PassesWithoutPolicy()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; np=reject");

        var result = await _zone.EvaluateAsync("ghost.example.com", NoSpf, Dkim("example.com"));

        Assert.Equal(new DmarcResult(AuthVerdict.Pass, "ghost.example.com", DmarcRequest.None, "example.com", "DKIM d=example.com aligned"), result);
    }

    [Theory]
    [InlineData("t=y", DmarcRequest.Reject, DmarcRequest.Quarantine)]
    [InlineData("pct=0", DmarcRequest.Reject, DmarcRequest.Quarantine)]
    [InlineData("pct=50", DmarcRequest.Reject, DmarcRequest.Reject)]
    [InlineData("t=n", DmarcRequest.Reject, DmarcRequest.Reject)]
    public async Task Evaluate_TestingMode_ReportsThePolicyAndDispositionIsOneLevelBelow(string tag, DmarcRequest policy, DmarcRequest disposition)
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; " + tag);

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, policy, disposition, tag is "t=y" or "pct=0"), (result.Verdict, result.Policy, result.Disposition, result.Testing));
    }

    [Fact]
    public async Task Evaluate_TestingQuarantine_HasNoDisposition()
    {
        _zone.Record("example.com", "v=DMARC1; p=none; sp=quarantine; t=y");

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf);

        Assert.Equal((DmarcRequest.Quarantine, DmarcRequest.None, true), (result.Policy, result.Disposition, result.Testing));
    }

    [Fact]
    public async Task Evaluate_SlowAnswerDuringTheWalk_IsTempError()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");
        _zone.Dns.Slow("_dmarc.example.com", DnsTimeout * 5);

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf);

        Assert.Equal(AuthVerdict.TempError, result.Verdict);
    }

    [Theory]
    [MemberData(nameof(ServerFailures))]
    public async Task Evaluate_ServerFailure_IsTempErrorWhereItCouldChangeTheResult(
        string record, string failing, string fromDomain, string mailFromDomain, string? signingDomain, AuthVerdict verdict)
    {
        _zone.Records([record]);
        _zone.Dns.ServerFailure(failing);

        var result = await _zone.EvaluateAsync(fromDomain, Spf(mailFromDomain), signingDomain is null ? [] : [Dkim(signingDomain)]);

        Assert.Equal(verdict, result.Verdict);
        Assert.Equal(DmarcRequest.None, result.Policy);
    }
}
