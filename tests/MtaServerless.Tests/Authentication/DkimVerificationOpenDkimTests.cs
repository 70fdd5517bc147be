using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// OpenDKIM, a second independent signer, against our verifier: libopendkim's rsa-sha256 signature passes (and dkimpy
/// agrees); <c>opendkim-testmsg</c> signs only rsa-sha1, which RFC 8301 makes policy.
/// </summary>
public sealed class DkimVerificationOpenDkimTests : IDisposable
{
    private const string Domain = "opendkim.example";
    private readonly SigningKeys _keys = new();
    private readonly string _key;

    public DkimVerificationOpenDkimTests() => _key = _keys.Publish(Domain, "od1", DkimAlgorithm.RsaSha256);

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task LibOpenDkimRsaSha256_Passes()
    {
        var signed = await OpenDkim.SignRsaSha256Async(SigningKeys.Message(Domain), _key, "od1", Domain);

        var result = Assert.Single((await _keys.VerifyAsync(signed)).Dkim);

        Assert.Equal((AuthVerdict.Pass, Domain, "od1"), (result.Verdict, result.Domain, result.Selector));
        Assert.True(Assert.Single(await Dkimpy.VerifyAsync(signed, _keys.Dns.Endpoint)).Pass);
    }

    [Fact]
    public async Task OpenDkimTestmsg_SignsRsaSha1_WhichIsPolicy()
    {
        var signed = await OpenDkim.SignRsaSha1Async(SigningKeys.Message(Domain), _key, "od1", Domain);

        var result = Assert.Single((await _keys.VerifyAsync(signed)).Dkim);

        Assert.Equal((AuthVerdict.Policy, "rsa-sha1 is not accepted (RFC 8301)"), (result.Verdict, result.Reason));
    }
}
