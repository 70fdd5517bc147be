using System.Text;
using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// Our ARC validation (RFC 8617) of chains dkimpy seals as forwarders do, each sealer validating what it received:
/// pass at the highest instance, fail with what broke (a change after sealing, a gap in i=, cv=fail, a key DNS could
/// not give), none without ARC.
/// </summary>
public sealed class ArcChainVerificationTests : IDisposable
{
    private const string Origin = "origin.example";
    private readonly SigningKeys _keys = new();
    private readonly string _originKey;

    public ArcChainVerificationTests() => _originKey = _keys.Publish(Origin, "o1", DkimAlgorithm.RsaSha256);

    public void Dispose() => _keys.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ChainOfForwarders_Passes_AtTheHighestInstance(int forwarders)
    {
        var sealedMessage = await ForwardAsync(await SignedAsync(), forwarders);

        var results = await VerifyAsync(sealedMessage);

        Assert.Equal(new ArcResult(AuthVerdict.Pass, forwarders), results.Arc);
        Assert.Equal(AuthVerdict.Pass, Assert.Single(results.Dkim).Verdict);
    }

    [Fact]
    public async Task BodyChangedAfterTheLastSeal_Fails_ItsMessageSignature()
    {
        var sealedMessage = await ForwardAsync(await SignedAsync(), 2);

        var results = await VerifyAsync(SigningKeys.Edited(sealedMessage, "Hello,", "Hello again,"));

        Assert.Equal(new ArcResult(AuthVerdict.Fail, 2, "ARC-Message-Signature i=2 did not verify"), results.Arc);
    }

    [Fact]
    public async Task GapInTheInstances_Fails_AsABrokenChain()
    {
        var sealedMessage = await ForwardAsync(await SignedAsync(), 2);
        var text = Encoding.UTF8.GetString(sealedMessage);
        // The second set becomes the third: i=2 is missing.
        var renumbered = string.Join("\r\n", text.Split("\r\n").Select(line => line.StartsWith("ARC-", StringComparison.Ordinal) ? line.Replace("i=2;", "i=3;", StringComparison.Ordinal) : line));

        var results = await VerifyAsync(Encoding.UTF8.GetBytes(renumbered));

        Assert.Equal(AuthVerdict.Fail, results.Arc.Verdict);
        Assert.Equal(3, results.Arc.Instances);
        Assert.Equal("broken chain: MissingArcAuthenticationResults, MissingArcMessageSignature, MissingArcSeal", results.Arc.Reason);
    }

    [Fact]
    public async Task SealOverABrokenChain_HasCvFail_AndFails()
    {
        var first = await ForwardAsync(await SignedAsync(), 1);
        var broken = SigningKeys.Edited(first, "Hello,", "Hello again,");
        var resealed = await Dkimpy.ArcSignAsync(broken, ForwarderKey(2), "arc", Forwarder(2), Forwarder(2), _keys.Dns.Endpoint);

        var results = await VerifyAsync(resealed);

        Assert.Contains("cv=fail", Encoding.UTF8.GetString(resealed), StringComparison.Ordinal);
        Assert.Equal(AuthVerdict.Fail, results.Arc.Verdict);
        Assert.Equal(2, results.Arc.Instances);
        Assert.StartsWith("cv=fail in the chain", results.Arc.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SealKeyLookupTempError_Fails_NamingTheTempError()
    {
        var sealedMessage = await ForwardAsync(await SignedAsync(), 1);
        _keys.Dns.ServerFailure(SigningKeys.RecordName(Forwarder(1), "arc"));

        var results = await VerifyAsync(sealedMessage);

        Assert.Equal(AuthVerdict.Fail, results.Arc.Verdict);
        Assert.Contains($"key lookup arc._domainkey.{Forwarder(1)} failed (temperror)", results.Arc.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArcSets_IsNone()
    {
        var results = await VerifyAsync(await SignedAsync());

        Assert.Equal(new ArcResult(AuthVerdict.None, 0), results.Arc);
    }

    private static string Forwarder(int instance) => $"forwarder{instance}.example";

    private async Task<byte[]> SignedAsync() =>
        await Dkimpy.SignAsync(SigningKeys.Message(Origin), _originKey, "o1", Origin, "rsa-sha256");

    /// <summary>The message through <paramref name="count"/> more forwarders, each with its own domain and key.</summary>
    private async Task<byte[]> ForwardAsync(byte[] message, int count)
    {
        var first = Encoding.UTF8.GetString(message).Split("\r\n").Count(l => l.StartsWith("ARC-Seal:", StringComparison.Ordinal)) + 1;
        for (var instance = first; instance < first + count; instance++)
        {
            message = await Dkimpy.ArcSignAsync(message, ForwarderKey(instance), "arc", Forwarder(instance), Forwarder(instance), _keys.Dns.Endpoint);
        }

        return message;
    }

    private string ForwarderKey(int instance) => _keys.Publish(Forwarder(instance), "arc", DkimAlgorithm.RsaSha256);

    private Task<SignatureResults> VerifyAsync(byte[] message) => _keys.VerifyAsync(message);
}
