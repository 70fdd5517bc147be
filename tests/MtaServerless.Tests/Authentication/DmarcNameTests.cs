using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Dmarc;

namespace MtaServerless.Tests.Authentication;

/// <summary>The names a tree walk queries, and From domains that are no names, neither of which needs a DNS server.</summary>
public sealed class DmarcNameTests
{
    [Fact]
    public void Targets_TenLabels_JumpsToSevenLabelsAfterTheFirstQueryAndEndsAtTheTld() =>
        Assert.Equal(
            ["a.b.c.d.e.f.g.h.example.test", "d.e.f.g.h.example.test", "e.f.g.h.example.test", "f.g.h.example.test", "g.h.example.test", "h.example.test", "example.test", "test"],
            DmarcDiscovery.Targets("a.b.c.d.e.f.g.h.example.test"));

    [Fact]
    public void Targets_EightLabels_GoesToTheParentLikeAnyShorterName() =>
        Assert.Equal(8, DmarcDiscovery.Targets("a.b.c.d.e.f.example.test").Count());

    [Fact]
    public void Targets_FourLabels_RemovesOneLabelAtATime() =>
        Assert.Equal(["a.mail.example.com", "mail.example.com", "example.com", "com"], DmarcDiscovery.Targets("a.mail.example.com"));

    [Fact]
    public void Targets_SingleLabel_IsTheNameAlone() => Assert.Equal(["localhost"], DmarcDiscovery.Targets("localhost"));

    [Theory]
    [InlineData("")]
    [InlineData("exa mple.com")]
    [InlineData("a..b.com")]
    public async Task Evaluate_FromDomainThatIsNoDomainName_IsPermErrorWithoutAQuery(string fromDomain)
    {
        // The discard port: a query would time out and end as temperror, not permerror.
        var options = Options.Create(new PipelineOptions { NameServers = "127.0.0.1:9", DnsTimeout = TimeSpan.FromMilliseconds(100) });
        var evaluator = new DmarcEvaluator(new AuthenticationDns(options), NullLogger<DmarcEvaluator>.Instance);

        var result = await evaluator.EvaluateAsync(fromDomain, DmarcZone.NoSpf, [], CancellationToken.None);

        Assert.Equal((AuthVerdict.PermError, DmarcRequest.None), (result.Verdict, result.Policy));
    }
}
