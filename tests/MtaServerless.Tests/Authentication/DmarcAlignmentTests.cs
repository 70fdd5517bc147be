using MtaServerless.Pipeline.Authentication;
using static MtaServerless.Tests.Authentication.DmarcZone;

namespace MtaServerless.Tests.Authentication;

/// <summary>Identifier alignment of SPF (MAIL FROM only) and DKIM (d=), strict and relaxed, with Organizational Domains from the tree walk.</summary>
public sealed class DmarcAlignmentTests : IDisposable
{
    private readonly DmarcZone _zone = new();

    public void Dispose() => _zone.Dispose();

    [Fact]
    public async Task Evaluate_SpfPassForASubdomainInRelaxedMode_Passes()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", Spf("bounce.example.com"));

        Assert.Equal((AuthVerdict.Pass, DmarcRequest.None, "example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
        Assert.Equal("SPF bounce.example.com aligned", result.Reason);
    }

    [Fact]
    public async Task Evaluate_SpfPassForASubdomainInStrictMode_Fails()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; aspf=s");

        var result = await _zone.EvaluateAsync("example.com", Spf("bounce.example.com"));

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject), (result.Verdict, result.Policy));
    }

    [Fact]
    public async Task Evaluate_SpfPassForTheSameDomainInStrictModeAnyCase_Passes()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; aspf=s");

        var result = await _zone.EvaluateAsync("Example.Com", Spf("EXAMPLE.COM"));

        Assert.Equal(AuthVerdict.Pass, result.Verdict);
    }

    [Fact]
    public async Task Evaluate_SpfPassForTheHeloName_NeverAligns()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", Spf("example.com", fromHelo: true));

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }

    [Theory]
    [InlineData(AuthVerdict.Fail)]
    [InlineData(AuthVerdict.SoftFail)]
    [InlineData(AuthVerdict.Neutral)]
    [InlineData(AuthVerdict.None)]
    [InlineData(AuthVerdict.TempError)]
    [InlineData(AuthVerdict.PermError)]
    public async Task Evaluate_SpfOtherThanPassForTheSameDomain_NeverAligns(AuthVerdict verdict)
    {
        _zone.Record("example.com", "v=DMARC1; p=quarantine");

        var result = await _zone.EvaluateAsync("example.com", Spf("example.com", verdict));

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Quarantine), (result.Verdict, result.Policy));
    }

    [Fact]
    public async Task Evaluate_DkimPassForASubdomainInRelaxedMode_Passes()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; adkim=r");

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf, Dkim("mail.example.com"));

        Assert.Equal((AuthVerdict.Pass, "example.com", "DKIM d=mail.example.com aligned"), (result.Verdict, result.PolicyDomain, result.Reason));
    }

    [Fact]
    public async Task Evaluate_DkimStrictAndSpfRelaxed_AreJudgedEachByItsOwnMode()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; adkim=s");

        var dkimOnly = await _zone.EvaluateAsync("example.com", NoSpf, Dkim("mail.example.com"));
        var spfToo = await _zone.EvaluateAsync("example.com", Spf("mail.example.com"), Dkim("mail.example.com"));

        Assert.Equal(AuthVerdict.Fail, dkimOnly.Verdict);
        Assert.Equal(AuthVerdict.Pass, spfToo.Verdict);
    }

    [Fact]
    public async Task Evaluate_IdentifiersOfAnotherOrganization_DoNotAlign()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject").Record("example.net", "v=DMARC1; p=none");

        var result = await _zone.EvaluateAsync("news.example.com", Spf("example.net"), Dkim("news.example.net"), Dkim("example.com.example.net"));

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject), (result.Verdict, result.Policy));
    }

    [Fact]
    public async Task Evaluate_SiblingSubdomainsUnderOneOrganization_AlignRelaxed()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("news.example.com", Spf("foo.example.com"));

        Assert.Equal(AuthVerdict.Pass, result.Verdict);
    }

    [Theory]
    [InlineData(AuthVerdict.Fail)]
    [InlineData(AuthVerdict.TempError)]
    [InlineData(AuthVerdict.PermError)]
    [InlineData(AuthVerdict.Neutral)]
    public async Task Evaluate_DkimSignatureThatDidNotPass_NeverAligns(AuthVerdict verdict)
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", NoSpf, Dkim("example.com", verdict));

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Evaluate_OneAlignedSignatureAmongOthers_Passes()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync(
            "example.com", NoSpf, Dkim("esp.example.net"), Dkim("example.com", AuthVerdict.Fail), Dkim("Example.COM"), Dkim("other.example.org"));

        Assert.Equal((AuthVerdict.Pass, "DKIM d=Example.COM aligned"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task Evaluate_FromDomainWithPsdNo_DoesNotAlignWithItsParent()
    {
        // mail.example.com says it is its own organization, so example.com's identifiers are not its own.
        _zone.Record("mail.example.com", "v=DMARC1; p=reject; psd=n").Record("example.com", "v=DMARC1; p=none");

        var parent = await _zone.EvaluateAsync("mail.example.com", Spf("example.com"));
        var child = await _zone.EvaluateAsync("mail.example.com", Spf("bounce.mail.example.com"));

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject), (parent.Verdict, parent.Policy));
        Assert.Equal(AuthVerdict.Pass, child.Verdict);
    }

    [Fact]
    public async Task Evaluate_IdentifierUnderItsOwnPsdNoOrganization_DoesNotAlignWithTheParent()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject").Record("team.example.com", "v=DMARC1; p=none; psd=n");

        var result = await _zone.EvaluateAsync("example.com", NoSpf, Dkim("mail.team.example.com"));

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }

    [Fact]
    public async Task Evaluate_OrganizationWithoutRecordUnderAPublicSuffix_AlignsItsSubdomains()
    {
        _zone.Record("test", "v=DMARC1; p=reject; psd=y");

        var sameOrganization = await _zone.EvaluateAsync("a.example.test", NoSpf, Dkim("b.example.test"));
        var otherOrganization = await _zone.EvaluateAsync("a.example.test", NoSpf, Dkim("b.other.test"));

        Assert.Equal((AuthVerdict.Pass, "test"), (sameOrganization.Verdict, sameOrganization.PolicyDomain));
        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject), (otherOrganization.Verdict, otherOrganization.Policy));
    }

    [Fact]
    public async Task Evaluate_IdentifierThatIsNoDomainName_DoesNotAlign()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", Spf("bad_label.example.com"), Dkim("bad label.example.com"));

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }
}
