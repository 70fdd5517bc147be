using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Dmarc;

namespace MtaServerless.Tests.Authentication;

public sealed class DmarcRecordTests
{
    [Fact]
    public void Parse_EveryPolicyTag_ReadsEach()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=reject; sp=quarantine; np=none; psd=n; t=y; adkim=s; aspf=s");

        Assert.Equal(
            new DmarcRecord(true, DmarcRequest.Reject, DmarcRequest.Quarantine, DmarcRequest.None, PublicSuffixFlag.No, AlignmentMode.Strict, AlignmentMode.Strict, Testing: true),
            record);
    }

    [Fact]
    public void Parse_OnlyVersionAndPolicy_TakesTheDefaults()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=none");

        Assert.Equal(
            new DmarcRecord(true, DmarcRequest.None, null, null, PublicSuffixFlag.Unknown, AlignmentMode.Relaxed, AlignmentMode.Relaxed, Testing: false),
            record);
    }

    [Theory]
    [InlineData("p=reject; v=DMARC1")]
    [InlineData("v=DMARC2; p=reject")]
    [InlineData("v=dmarc1; p=reject")]
    [InlineData("v=DMARC1x; p=reject")]
    [InlineData("v=spf1 -all")]
    [InlineData("")]
    [InlineData("DMARC1; p=reject")]
    public void Parse_VersionNotFirstOrNotDmarc1_IsNoRecord(string text) => Assert.Null(DmarcRecord.Parse(text));

    [Theory]
    [InlineData("V=DMARC1;P=REJECT;ADKIM=S;ASPF=S")]
    [InlineData("v = DMARC1 ;  p = Reject ;\tadkim=s; aspf = S ;")]
    [InlineData("v=DMARC1;;p=reject;;adkim=s;aspf=s;;")]
    public void Parse_TagNamesAndValuesInAnyCaseAndWhitespace_ReadTheSame(string text)
    {
        var record = DmarcRecord.Parse(text);

        Assert.NotNull(record);
        Assert.Equal((DmarcRequest.Reject, AlignmentMode.Strict, AlignmentMode.Strict), (record.Policy, record.DkimAlignment, record.SpfAlignment));
    }

    [Fact]
    public void Parse_ReportingAndUnknownTags_AreIgnored()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=quarantine; rua=mailto:agg@example.com; ruf=mailto:fail@example.com; fo=1; rf=afrf; ri=86400; future=yes");

        Assert.Equal(DmarcRequest.Quarantine, record?.Policy);
    }

    [Fact]
    public void Parse_InvalidAlignmentPsdAndTestingValues_TakeTheDefaults()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=reject; adkim=x; aspf=strict; psd=maybe; t=yes");

        Assert.Equal(
            new DmarcRecord(true, DmarcRequest.Reject, null, null, PublicSuffixFlag.Unknown, AlignmentMode.Relaxed, AlignmentMode.Relaxed, Testing: false),
            record);
    }

    [Theory]
    [InlineData("v=DMARC1; rua=mailto:dmarc@example.com")]
    [InlineData("v=DMARC1; p=block; rua=mailto:dmarc@example.com")]
    [InlineData("v=DMARC1; p=reject; sp=drop; rua=mailto:dmarc@example.com")]
    [InlineData("v=DMARC1; p=reject; np=; sp=reject; rua=bad uri, mailto:dmarc@example.com")]
    public void Parse_NoValidPolicyButAValidRua_ReadsAsPNoneForEverything(string text)
    {
        var record = DmarcRecord.Parse(text);

        Assert.NotNull(record);
        Assert.Equal((true, DmarcRequest.None, (DmarcRequest?)null, (DmarcRequest?)null), (record.HasPolicy, record.Policy, record.SubdomainPolicy, record.NonExistentPolicy));
    }

    [Theory]
    [InlineData("v=DMARC1")]
    [InlineData("v=DMARC1; p=block")]
    [InlineData("v=DMARC1; p=reject; np=drop")]
    [InlineData("v=DMARC1; p=block; rua=not a uri")]
    public void Parse_NoValidPolicyAndNoValidRua_AsksForNothing(string text)
    {
        var record = DmarcRecord.Parse(text);

        Assert.NotNull(record);
        Assert.False(record.HasPolicy);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; pct=0", true)]
    [InlineData("v=DMARC1; p=reject; pct=000", true)]
    [InlineData("v=DMARC1; p=reject; pct=100", false)]
    [InlineData("v=DMARC1; p=reject; pct=50", false)]
    [InlineData("v=DMARC1; p=reject; pct=-0", false)]
    [InlineData("v=DMARC1; p=reject; pct=abc", false)]
    [InlineData("v=DMARC1; p=reject; t=y", true)]
    [InlineData("v=DMARC1; p=reject; t=Y", true)]
    [InlineData("v=DMARC1; p=reject; t=n; pct=0", false)]
    [InlineData("v=DMARC1; p=reject; t=y; pct=100", true)]
    [InlineData("v=DMARC1; p=reject; t=maybe; pct=0", true)]
    public void Parse_TestingFlagAndLegacyPct_MapPctZeroToTesting(string text, bool testing) =>
        Assert.Equal(testing, DmarcRecord.Parse(text)?.Testing);

    [Fact]
    public void Parse_RepeatedTag_KeepsTheFirstValue() =>
        Assert.Equal(DmarcRequest.Quarantine, DmarcRecord.Parse("v=DMARC1; p=quarantine; p=reject")?.Policy);

    [Theory]
    [InlineData("y", nameof(PublicSuffixFlag.Yes))]
    [InlineData("N", nameof(PublicSuffixFlag.No))]
    [InlineData("u", nameof(PublicSuffixFlag.Unknown))]
    public void Parse_PsdValues_AreRead(string value, string flag) =>
        Assert.Equal(flag, DmarcRecord.Parse("v=DMARC1; p=none; psd=" + value)?.PublicSuffix.ToString());
}
