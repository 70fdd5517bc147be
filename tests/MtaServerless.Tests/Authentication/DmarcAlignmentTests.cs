using MtaServerless.Pipeline.Authentication;
using static MtaServerless.Tests.Authentication.DmarcZone;

namespace MtaServerless.Tests.Authentication;

/// <summary>Identifier alignment of SPF (MAIL FROM only) and DKIM (d=), strict and relaxed, with Organizational Domains from the tree walk.</summary>
public sealed class DmarcAlignmentTests : IDisposable
{
    private readonly DmarcZone _zone = new();

    public void Dispose() => _zone.Dispose();

    [Theory]
    [InlineData("spf", "", "example.com", "bounce.example.com", AuthVerdict.Pass)]
    [InlineData("spf", "aspf=s", "example.com", "bounce.example.com", AuthVerdict.Fail)]
    [InlineData("spf", "aspf=s", "Example.Com", "EXAMPLE.COM", AuthVerdict.Pass)]
    [InlineData("spf", "", "news.example.com", "foo.example.com", AuthVerdict.Pass)]
    [InlineData("spf", "", "news.example.com", "example.com", AuthVerdict.Pass)]
    [InlineData("spf", "", "news.example.com", "example.net", AuthVerdict.Fail)]
    [InlineData("spf", "", "news.example.com", "news.example.com.example.net", AuthVerdict.Fail)]
    [InlineData("spf", "adkim=s", "example.com", "bounce.example.com", AuthVerdict.Pass)]
    [InlineData("dkim", "", "example.com", "mail.example.com", AuthVerdict.Pass)]
    [InlineData("dkim", "adkim=r", "news.example.com", "mail.example.com", AuthVerdict.Pass)]
    [InlineData("dkim", "adkim=s", "news.example.com", "mail.example.com", AuthVerdict.Fail)]
    [InlineData("dkim", "adkim=s", "news.example.com", "NEWS.example.com", AuthVerdict.Pass)]
    [InlineData("dkim", "", "news.example.com", "news.example.net", AuthVerdict.Fail)]
    [InlineData("dkim", "aspf=s", "example.com", "mail.example.com", AuthVerdict.Pass)]
    public async Task Evaluate_PassingIdentifier_AlignsByTheModeOfItsMethod(string method, string tag, string fromDomain, string identifier, AuthVerdict verdict)
    {
        _zone.Record("example.com", "v=DMARC1; p=reject; " + tag).Record("example.net", "v=DMARC1; p=none");

        var result = method == "spf"
            ? await _zone.EvaluateAsync(fromDomain, Spf(identifier))
            : await _zone.EvaluateAsync(fromDomain, NoSpf, Dkim(identifier));

        Assert.Equal(verdict, result.Verdict);
    }

    [Fact]
    public async Task Evaluate_SpfPassForTheHeloName_NeverAligns()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", Spf("example.com", fromHelo: true));

        Assert.Equal(AuthVerdict.Fail, result.Verdict);
    }

    [Theory]
    [InlineData("spf", AuthVerdict.Fail)]
    [InlineData("spf", AuthVerdict.SoftFail)]
    [InlineData("spf", AuthVerdict.Neutral)]
    [InlineData("spf", AuthVerdict.None)]
    [InlineData("spf", AuthVerdict.TempError)]
    [InlineData("spf", AuthVerdict.PermError)]
    [InlineData("dkim", AuthVerdict.Fail)]
    [InlineData("dkim", AuthVerdict.Neutral)]
    [InlineData("dkim", AuthVerdict.TempError)]
    [InlineData("dkim", AuthVerdict.PermError)]
    public async Task Evaluate_IdentifierOfTheFromDomainThatDidNotPass_NeverAligns(string method, AuthVerdict verdict)
    {
        _zone.Record("example.com", "v=DMARC1; p=quarantine");

        var result = method == "spf"
            ? await _zone.EvaluateAsync("example.com", Spf("example.com", verdict))
            : await _zone.EvaluateAsync("example.com", NoSpf, Dkim("example.com", verdict));

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Quarantine), (result.Verdict, result.Policy));
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
