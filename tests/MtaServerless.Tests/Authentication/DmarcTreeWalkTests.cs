using MtaServerless.Pipeline.Authentication;
using static MtaServerless.Tests.Authentication.DmarcZone;

namespace MtaServerless.Tests.Authentication;

/// <summary>Policy discovery by the DNS Tree Walk of DMARCbis 4.10, against a DNS server on loopback.</summary>
public sealed class DmarcTreeWalkTests : IDisposable
{
    private const string TenLabels = "a.b.c.d.e.f.g.h.example.test";
    private readonly DmarcZone _zone = new();

    public void Dispose() => _zone.Dispose();

    [Fact]
    public async Task Evaluate_RecordAtTheFromDomain_AppliesItsP()
    {
        _zone.Record("news.example.com", "v=DMARC1; p=reject; sp=none").Record("example.com", "v=DMARC1; p=none");

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject, "news.example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_RecordAtTheParentOnly_AppliesItsSp()
    {
        _zone.Record("example.com", "v=DMARC1; p=none; sp=reject");

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject, "example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_ParentRecordWithoutSp_AppliesItsPToTheSubdomain()
    {
        _zone.Record("example.com", "v=DMARC1; p=quarantine");

        var result = await _zone.EvaluateAsync("a.b.example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Quarantine, "example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_TenLabelFromDomain_SkipsTheEightAndNineLabelNamesAndFindsTheSevenLabelRecord()
    {
        _zone.Record("c.d.e.f.g.h.example.test", "v=DMARC1; p=none")
            .Record("d.e.f.g.h.example.test", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync(TenLabels, NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject, "d.e.f.g.h.example.test"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_TenLabelFromDomainWithNoRecordAnywhere_IsNoneAfterEightQueries()
    {
        var result = await _zone.EvaluateAsync(TenLabels, Spf(TenLabels));

        Assert.Equal((AuthVerdict.None, DmarcRequest.None, (string?)null), (result.Verdict, result.Policy, result.PolicyDomain));
        Assert.Equal(8, _zone.Dns.Queries);
    }

    [Fact]
    public async Task Evaluate_RecordsAtTwoParents_AppliesTheHighestOneAsTheOrganizationalDomain()
    {
        _zone.Record("mail.example.com", "v=DMARC1; p=none")
            .Record("example.com", "v=DMARC1; p=reject; sp=quarantine");

        var result = await _zone.EvaluateAsync("a.mail.example.com", NoSpf);

        Assert.Equal((DmarcRequest.Quarantine, "example.com"), (result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_PsdNoOnTheWay_StopsTheWalkThereAsTheOrganizationalDomain()
    {
        _zone.Record("mail.example.com", "v=DMARC1; p=none; sp=quarantine; psd=n")
            .Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("a.mail.example.com", NoSpf);

        Assert.Equal((DmarcRequest.Quarantine, "mail.example.com"), (result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_PsdYesAtTheTld_AppliesThePublicSuffixPolicyWhenTheOrganizationHasNone()
    {
        _zone.Record("test", "v=DMARC1; p=none; sp=quarantine; psd=y");

        var result = await _zone.EvaluateAsync("shop.example.test", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Quarantine, "test"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_PsdYesAboveAnOrganizationWithARecord_AppliesTheOrganizationsRecord()
    {
        _zone.Record("test", "v=DMARC1; p=reject; psd=y")
            .Record("example.test", "v=DMARC1; p=none");

        var result = await _zone.EvaluateAsync("shop.example.test", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.None, "example.test"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_PsdYesAtTheParent_MakesTheFromDomainItsOwnOrganizationalDomain()
    {
        // gov.test is a public suffix: agency.gov.test is an organization, not a subdomain of one under gov.test.
        _zone.Record("gov.test", "v=DMARC1; p=reject; psd=y");

        var relaxedParent = await _zone.EvaluateAsync("agency.gov.test", Spf("gov.test"));
        var relaxedChild = await _zone.EvaluateAsync("agency.gov.test", Spf("mail.agency.gov.test"));

        Assert.Equal((AuthVerdict.Fail, "gov.test"), (relaxedParent.Verdict, relaxedParent.PolicyDomain));
        Assert.Equal(AuthVerdict.Pass, relaxedChild.Verdict);
    }

    [Fact]
    public async Task Evaluate_NoRecordAnywhere_IsNone()
    {
        var result = await _zone.EvaluateAsync("a.example.com", Spf("a.example.com"), Dkim("a.example.com"));

        Assert.Equal(new DmarcResult(AuthVerdict.None, "a.example.com", DmarcRequest.None, null, "no DMARC record"), result);
    }

    [Fact]
    public async Task Evaluate_TwoDmarcRecordsAtTheFromDomain_AreDiscardedAndTheWalkGoesOn()
    {
        _zone.Record("news.example.com", "v=DMARC1; p=none").Record("news.example.com", "v=DMARC1; p=reject")
            .Record("example.com", "v=DMARC1; p=quarantine");

        var result = await _zone.EvaluateAsync("news.example.com", NoSpf);

        Assert.Equal((DmarcRequest.Quarantine, "example.com"), (result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_TwoDmarcRecordsAndNoOther_IsNone()
    {
        _zone.Record("example.com", "v=DMARC1; p=none").Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal(AuthVerdict.None, result.Verdict);
    }

    [Fact]
    public async Task Evaluate_OtherTxtRecordsBesideOneDmarcRecord_AreNotCounted()
    {
        _zone.Record("example.com", "v=spf1 -all").Record("example.com", "site-verification=abc")
            .Record("example.com", "v=DMARC1; ", "p=reject");

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.Reject), (result.Verdict, result.Policy));
    }

    [Fact]
    public async Task Evaluate_RecordWithoutPolicyOrRua_IsNone()
    {
        _zone.Record("example.com", "v=DMARC1; adkim=s");

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal((AuthVerdict.None, (string?)null), (result.Verdict, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_RecordWithoutPolicyButWithRua_FailsAsPNone()
    {
        _zone.Record("example.com", "v=DMARC1; rua=mailto:dmarc@example.com");

        var result = await _zone.EvaluateAsync("example.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, DmarcRequest.None, "example.com"), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_UpperCaseFromDomain_FindsTheLowerCaseRecord()
    {
        _zone.Record("example.com", "v=DMARC1; p=reject");

        var result = await _zone.EvaluateAsync("News.EXAMPLE.com", NoSpf);

        Assert.Equal((AuthVerdict.Fail, "news.example.com", "example.com"), (result.Verdict, result.FromDomain, result.PolicyDomain));
    }
}
