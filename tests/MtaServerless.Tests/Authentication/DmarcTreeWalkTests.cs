using MtaServerless.Pipeline.Authentication;
using static MtaServerless.Tests.Authentication.DmarcZone;

namespace MtaServerless.Tests.Authentication;

/// <summary>Policy discovery by the DNS Tree Walk of DMARCbis 4.10, against a DNS server on loopback.</summary>
public sealed class DmarcTreeWalkTests : IDisposable
{
    private const string TenLabels = "a.b.c.d.e.f.g.h.example.test";
    private readonly DmarcZone _zone = new();

    /// <summary>The From domain, the records (<see cref="DmarcZone.Records"/>), and the record and policy that apply to a failing message.</summary>
    public static TheoryData<string, string[], string, DmarcRequest> Applied => new()
    {
        // The From domain's own record: its p=, even with a parent's record above.
        { "news.example.com", ["news.example.com: v=DMARC1; p=reject; sp=none", "example.com: v=DMARC1; p=none"], "news.example.com", DmarcRequest.Reject },
        // A parent's record: its sp= for the subdomain, else its p=.
        { "news.example.com", ["example.com: v=DMARC1; p=none; sp=reject"], "example.com", DmarcRequest.Reject },
        { "a.b.example.com", ["example.com: v=DMARC1; p=quarantine"], "example.com", DmarcRequest.Quarantine },
        // Ten labels: after the first query the walk jumps to seven, past the eight-label record.
        { TenLabels, ["c.d.e.f.g.h.example.test: v=DMARC1; p=none", "d.e.f.g.h.example.test: v=DMARC1; p=reject"], "d.e.f.g.h.example.test", DmarcRequest.Reject },
        // Records at two parents: the walk goes on to the highest, the Organizational Domain.
        { "a.mail.example.com", ["mail.example.com: v=DMARC1; p=none", "example.com: v=DMARC1; p=reject; sp=quarantine"], "example.com", DmarcRequest.Quarantine },
        // psd=n stops the walk: that domain is the organization.
        { "a.mail.example.com", ["mail.example.com: v=DMARC1; p=none; sp=quarantine; psd=n", "example.com: v=DMARC1; p=reject"], "mail.example.com", DmarcRequest.Quarantine },
        // psd=y at the top-level domain (queried too): the Public Suffix Domain's policy when the organization has none.
        { "shop.example.test", ["test: v=DMARC1; p=none; sp=quarantine; psd=y"], "test", DmarcRequest.Quarantine },
        // psd=y above an organization with a record of its own: the organization's record.
        { "shop.example.test", ["test: v=DMARC1; p=reject; psd=y", "example.test: v=DMARC1; p=none"], "example.test", DmarcRequest.None },
        // Two DMARC records at one name are discarded and the walk goes on.
        { "news.example.com", ["news.example.com: v=DMARC1; p=none", "news.example.com: v=DMARC1; p=reject", "example.com: v=DMARC1; p=quarantine"], "example.com", DmarcRequest.Quarantine },
        // Other TXT records at _dmarc do not count; a record's character-strings are joined.
        { "example.com", ["example.com: v=spf1 -all", "example.com: site-verification=abc", "example.com: v=DMARC1; |p=reject"], "example.com", DmarcRequest.Reject },
        // No valid p= but a valid rua=: p=none.
        { "example.com", ["example.com: v=DMARC1; rua=mailto:dmarc@example.com"], "example.com", DmarcRequest.None },
        // Names in any case.
        { "News.EXAMPLE.com", ["EXAMPLE.COM: v=DMARC1; p=reject"], "example.com", DmarcRequest.Reject },
    };

    /// <summary>The From domain and records under which DMARC does not apply.</summary>
    public static TheoryData<string, string[]> NotApplied => new()
    {
        { "a.example.com", [] },
        { "example.com", ["example.com: v=DMARC1; p=none", "example.com: v=DMARC1; p=reject"] },
        { "example.com", ["example.com: v=DMARC1; adkim=s"] },
        { "news.example.com", ["news.example.com: v=DMARC1; p=block", "example.com: v=DMARC1; p=reject"] },
    };

    public void Dispose() => _zone.Dispose();

    [Theory]
    [MemberData(nameof(Applied))]
    public async Task Evaluate_FailingMessage_AppliesTheRecordTheWalkSelects(string fromDomain, string[] records, string policyDomain, DmarcRequest policy)
    {
        _zone.Records(records);

        var result = await _zone.EvaluateAsync(fromDomain, NoSpf);

        Assert.Equal((AuthVerdict.Fail, fromDomain.ToLowerInvariant(), policy, policyDomain), (result.Verdict, result.FromDomain, result.Policy, result.PolicyDomain));
    }

    [Theory]
    [MemberData(nameof(NotApplied))]
    public async Task Evaluate_NoSingleRecordWithAPolicy_IsNone(string fromDomain, string[] records)
    {
        _zone.Records(records);

        var result = await _zone.EvaluateAsync(fromDomain, Spf(fromDomain), Dkim(fromDomain));

        Assert.Equal((AuthVerdict.None, DmarcRequest.None, (string?)null), (result.Verdict, result.Policy, result.PolicyDomain));
    }

    [Fact]
    public async Task Evaluate_TenLabelFromDomainWithNoRecordAnywhere_IsNoneAfterEightQueries()
    {
        var result = await _zone.EvaluateAsync(TenLabels, Spf(TenLabels));

        Assert.Equal(new DmarcResult(AuthVerdict.None, TenLabels, DmarcRequest.None, null, "no DMARC record"), result);
        Assert.Equal(8, _zone.Dns.Queries);
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
}
