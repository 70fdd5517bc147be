using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Tests.Authentication;

public sealed class InboundAuthenticationTests
{
    [Theory]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Reject, false, true)]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Quarantine, false, true)]
    [InlineData(AuthVerdict.Fail, DmarcRequest.None, false, false)]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Reject, true, true)]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Quarantine, true, false)]
    [InlineData(AuthVerdict.Pass, DmarcRequest.None, false, false)]
    [InlineData(AuthVerdict.TempError, DmarcRequest.None, false, false)]
    [InlineData(AuthVerdict.PermError, DmarcRequest.None, false, false)]
    public void DmarcFailed_OnlyAFailureWhoseAppliedPolicyIsRejectOrQuarantine(AuthVerdict verdict, DmarcRequest policy, bool testing, bool expected)
    {
        var results = new InboundAuthentication(
            new SpfResult(AuthVerdict.Fail, "example.org", FromHelo: false),
            new SignatureResults([], new ArcResult(AuthVerdict.None, 0)),
            new DmarcResult(verdict, "example.org", policy, "example.org", Testing: testing));

        Assert.Equal(expected, results.DmarcFailed);
    }

    [Theory]
    [InlineData(new AuthVerdict[0], AuthVerdict.None)]
    [InlineData(new[] { AuthVerdict.Fail, AuthVerdict.Pass }, AuthVerdict.Pass)]
    [InlineData(new[] { AuthVerdict.Fail, AuthVerdict.PermError }, AuthVerdict.PermError)]
    [InlineData(new[] { AuthVerdict.Neutral, AuthVerdict.TempError }, AuthVerdict.TempError)]
    public void BestDkim_PassWins_NoSignatureIsNone(AuthVerdict[] signatures, AuthVerdict expected)
    {
        var results = new InboundAuthentication(
            new SpfResult(AuthVerdict.None, "example.org", FromHelo: false),
            new SignatureResults(signatures.Select(v => new DkimResult(v, "example.org", "s", "AbCdEfGh")).ToList(), new ArcResult(AuthVerdict.None, 0)),
            new DmarcResult(AuthVerdict.None, "example.org", DmarcRequest.None, null));

        Assert.Equal(expected, results.BestDkim);
    }
}
