using System.Net;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>The zone of every <see cref="SpfCorpus"/> case on one loopback DNS server, and pyspf's verdicts for all of them, asked once.</summary>
public sealed class SpfInteropFixture : IAsyncLifetime
{
    public LoopbackDnsServer Dns { get; } = new();

    public IReadOnlyDictionary<string, string> PyspfVerdicts { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        foreach (var spfCase in SpfCorpus.Cases)
        {
            spfCase.Zone(Dns);
        }

        var verdicts = await Pyspf.CheckAsync(SpfCorpus.Cases.Select(c => c.Query).ToList(), Dns.Endpoint);
        PyspfVerdicts = SpfCorpus.Cases.Zip(verdicts).ToDictionary(p => p.First.Name, p => p.Second);
    }

    public Task DisposeAsync()
    {
        Dns.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Our check_host() and pyspf's, verdict for verdict, on the same zone; both against the verdict RFC 7208 gives.</summary>
public sealed class SpfInteropTests(SpfInteropFixture fixture) : IClassFixture<SpfInteropFixture>
{
    public static TheoryData<string> CaseNames => new(SpfCorpus.Cases.Select(c => c.Name));

    [Fact]
    public void Corpus_HasEnoughDistinctCases() =>
        Assert.True(SpfCorpus.Cases.Select(c => c.Name).Distinct().Count() is var count && count == SpfCorpus.Cases.Count && count >= 80, $"{SpfCorpus.Cases.Count} cases");

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task CheckAsync_Case_AgreesWithPyspfAndRfc(string name)
    {
        var spfCase = SpfCorpus.Cases.Single(c => c.Name == name);
        var result = await SpfVerifierTests.On(fixture.Dns).CheckAsync(IPAddress.Parse(spfCase.Query.Client), spfCase.Query.Helo, spfCase.Query.MailFrom, CancellationToken.None);

        Assert.Equal(spfCase.Pyspf ?? spfCase.Expected, fixture.PyspfVerdicts[name]);
        Assert.True(Verdict(result.Verdict) == spfCase.Expected, $"{name}: {Verdict(result.Verdict)} ({result.Reason}), expected {spfCase.Expected}");
        Assert.Equal(spfCase.Query.MailFrom.Length == 0, result.FromHelo);
    }

    private static string Verdict(AuthVerdict verdict) => verdict.ToString().ToLowerInvariant();
}
