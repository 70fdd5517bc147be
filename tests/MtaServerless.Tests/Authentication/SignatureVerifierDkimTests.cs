using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Authentication;

/// <summary>
/// Our DKIM verification of what dkimpy (an independent signer) signed, with keys on a loopback DNS server: pass for
/// each algorithm and canonicalization, fail for a changed body or header, permerror, neutral, policy and temperror for
/// the rest, each with its reason, in the order of the message's signatures.
/// </summary>
public sealed partial class SignatureVerifierDkimTests : IDisposable
{
    private const string Domain = "signer.example";
    private readonly SigningKeys _keys = new();

    private LoopbackDnsServer Dns => _keys.Dns;

    public void Dispose() => _keys.Dispose();

    [Theory]
    [InlineData(DkimAlgorithm.RsaSha256, "rsa-sha256", "relaxed/relaxed")]
    [InlineData(DkimAlgorithm.RsaSha256, "rsa-sha256", "simple/simple")]
    [InlineData(DkimAlgorithm.Ed25519Sha256, "ed25519-sha256", "relaxed/simple")]
    [InlineData(DkimAlgorithm.Ed25519Sha256, "ed25519-sha256", "simple/relaxed")]
    public async Task DkimpySignature_VerifiesAsPass_WithDomainSelectorAndSignatureStart(DkimAlgorithm algorithm, string a, string canonicalization)
    {
        var key = _keys.Publish(Domain, "sel1", algorithm);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, a, canonicalization, "from:to:subject:date:message-id:mime-version:content-type");

        var results = await VerifyAsync(signed);

        var result = Assert.Single(results.Dkim);
        Assert.Equal(new DkimResult(AuthVerdict.Pass, Domain, "sel1", SignatureValues(signed)[0][..8]), result);
        Assert.Equal(new ArcResult(AuthVerdict.None, 0), results.Arc);
    }

    [Fact]
    public async Task TwoSignaturesOfTwoDomains_AreReportedInTheMessagesOrder_DomainsAsLowercaseALabels()
    {
        var first = _keys.Publish("Author.Example", "a", DkimAlgorithm.RsaSha256);
        var second = _keys.Publish("xn--mller-kva.example", "b", DkimAlgorithm.Ed25519Sha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message("author.example"), first, "a", "Author.Example", "rsa-sha256");
        signed = await Dkimpy.SignAsync(signed, second, "b", "xn--mller-kva.example", "ed25519-sha256");

        var results = await VerifyAsync(signed);

        Assert.Equal([("xn--mller-kva.example", "b", AuthVerdict.Pass), ("author.example", "a", AuthVerdict.Pass)], results.Dkim.Select(r => (r.Domain, r.Selector, r.Verdict)));
        Assert.Equal(SignatureValues(signed).Select(b => b[..8]), results.Dkim.Select(r => r.SignatureStart));
    }

    [Theory]
    [InlineData("this is a test.", "this is a tesT.", "body hash did not verify")]
    [InlineData("Subject: signature test", "Subject: signature test!", "signature did not verify")]
    public async Task ChangeAfterSigning_Fails_SayingWhatChanged(string original, string changed, string reason)
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha256");

        var result = Assert.Single((await VerifyAsync(SigningKeys.Edited(signed, original, changed))).Dkim);

        Assert.Equal((AuthVerdict.Fail, reason), (result.Verdict, result.Reason));
    }

    [Theory]
    [InlineData("none", AuthVerdict.PermError, "no key record at sel1._domainkey.signer.example")]
    [InlineData("revoked", AuthVerdict.PermError, "key sel1._domainkey.signer.example is revoked (empty p=)")]
    [InlineData("garbage", AuthVerdict.PermError, "key record sel1._domainkey.signer.example does not parse")]
    [InlineData("wrong type", AuthVerdict.PermError, "key is k=ed25519, the signature needs rsa")]
    [InlineData("ec key", AuthVerdict.PermError, "key record sel1._domainkey.signer.example holds no rsa key")]
    [InlineData("servfail", AuthVerdict.TempError, "key lookup sel1._domainkey.signer.example failed (temperror)")]
    [InlineData("slow", AuthVerdict.TempError, "key lookup sel1._domainkey.signer.example failed (temperror)")]
    public async Task KeyTrouble_IsPermErrorOrTempError(string trouble, AuthVerdict verdict, string reason)
    {
        var signingKey = _keys.Publish("elsewhere.example", "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), signingKey, "sel1", Domain, "rsa-sha256");
        var name = SigningKeys.RecordName(Domain, "sel1");
        _ = trouble switch
        {
            "revoked" => Dns.Txt(name, ["v=DKIM1; k=rsa; p="]),
            "garbage" => Dns.Txt(name, ["v=DKIM1; k=rsa; p=bm90IGEga2V5"]),
            "wrong type" => Dns.Txt(name, ["v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="]),
            "ec key" => Dns.Txt(name, [$"v=DKIM1; k=rsa; p={Convert.ToBase64String(ECDsa.Create().ExportSubjectPublicKeyInfo())}"]),
            "servfail" => Dns.ServerFailure(name),
            "slow" => Dns.Slow(name, TimeSpan.FromSeconds(5)).Txt(name, ["v=DKIM1; p="]),
            _ => Dns,
        };

        var result = Assert.Single((await VerifyAsync(signed)).Dkim);

        Assert.Equal(new DkimResult(verdict, Domain, "sel1", SignatureValues(signed)[0][..8], reason), result);
    }

    [Theory]
    [InlineData("h=sha1; ", "i=@signer.example", AuthVerdict.PermError, "key does not allow sha256 (h=sha1)")]
    [InlineData("h=sha1:sha256; s=email; t=s; ", "i=@signer.example", AuthVerdict.Pass, null)]
    [InlineData("t=y:s; ", "i=@mail.signer.example", AuthVerdict.PermError, "key forbids a subdomain in i= (t=s), i= is under mail.signer.example")]
    [InlineData("s=tlsrpt; ", "i=@signer.example", AuthVerdict.PermError, "key sel1._domainkey.signer.example is not for email (s=tlsrpt)")]
    public async Task KeyRecordTags_LimitWhatTheKeySigns(string tags, string identity, AuthVerdict verdict, string? reason)
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256, tags);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha256");

        var result = Assert.Single((await VerifyAsync(SigningKeys.Edited(signed, "i=@signer.example", identity))).Dkim);

        Assert.Equal((verdict, reason), (result.Verdict, result.Reason));
    }

    [Theory]
    [InlineData(" b=", " z=", AuthVerdict.PermError, "missing required tag b=")]
    [InlineData("i=@signer.example", "i=alice@other.example", AuthVerdict.PermError, "i= domain is not d=signer.example or under it")]
    [InlineData("i=@signer.example", "i=alice@signer.example.other", AuthVerdict.PermError, "i= domain is not d=signer.example or under it")]
    [InlineData(" d=signer.example;", " d=signer.example; d=other.example;", AuthVerdict.PermError, "duplicate tag d=")]
    [InlineData("v=1;", "v=2;", AuthVerdict.PermError, "incompatible version v=2")]
    [InlineData("h=from : to :", "h=to : to :", AuthVerdict.PermError, "From is not signed (h=)")]
    [InlineData("t=", "t=-", AuthVerdict.PermError, "invalid timestamp t=-")]
    [InlineData("a=rsa-sha256", "a=rsa-sha512", AuthVerdict.Neutral, "unsupported algorithm a=rsa-sha512")]
    [InlineData("c=relaxed/relaxed", "c=relaxed/fancy", AuthVerdict.Neutral, "unsupported canonicalization c=relaxed/fancy")]
    public async Task MalformedSignature_IsPermErrorOrNeutral_WithoutAKeyLookup(string original, string changed, AuthVerdict verdict, string reason)
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha256", headers: "from:to:subject");
        var queries = Dns.Queries;

        var result = Assert.Single((await VerifyAsync(SigningKeys.Edited(signed, original, changed))).Dkim);

        Assert.Equal(verdict, result.Verdict);
        Assert.StartsWith(reason, result.Reason, StringComparison.Ordinal);
        Assert.Equal(queries, Dns.Queries);
    }

    [Fact]
    public async Task Expiration_IsPermError_OnceTheClockPassesIt()
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha256");
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_900_000_000));
        // dkimpy sets no x=; one added afterwards breaks the signature, which shows x= is judged before it: by our clock.
        var expiring = SigningKeys.Edited(signed, " d=signer.example;", " d=signer.example; x=1900000001;");

        var result = Assert.Single((await _keys.VerifyAsync(expiring, time)).Dkim);

        Assert.Equal((AuthVerdict.Fail, "signature did not verify"), (result.Verdict, result.Reason));
        time.Advance(TimeSpan.FromSeconds(2));
        result = Assert.Single((await _keys.VerifyAsync(expiring, time)).Dkim);
        Assert.Equal((AuthVerdict.PermError, "signature expired (x=)"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task RsaSha1_IsPolicy_RFC8301()
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.RsaSha256);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "sel1", Domain, "rsa-sha1");

        var result = Assert.Single((await VerifyAsync(signed)).Dkim);

        Assert.Equal((AuthVerdict.Policy, "rsa-sha1 is not accepted (RFC 8301)"), (result.Verdict, result.Reason));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(768)]
    public async Task RsaKeyUnder1024Bits_IsPolicy_RFC8301(int bits)
    {
        var key = _keys.PublishRsa(Domain, "small", bits);
        var signed = await Dkimpy.SignAsync(SigningKeys.Message(Domain), key, "small", Domain, "rsa-sha256");

        var result = Assert.Single((await VerifyAsync(signed)).Dkim);

        Assert.Equal((AuthVerdict.Policy, $"RSA key of {bits} bits, under the 1024 RFC 8301 requires"), (result.Verdict, result.Reason));
    }

    [Fact]
    public async Task SignaturesOverTheCap_AreOnePolicyResult_AndOneKeyIsAskedOnce()
    {
        var key = _keys.Publish(Domain, "sel1", DkimAlgorithm.Ed25519Sha256);
        var signed = SigningKeys.Message(Domain);
        // Two past the cap: both are told by one result.
        for (var i = 0; i <= SignatureVerifier.MaxSignatures + 1; i++)
        {
            signed = await Dkimpy.SignAsync(signed, key, "sel1", Domain, "ed25519-sha256");
        }

        var queries = Dns.Queries;
        var results = await VerifyAsync(signed);

        Assert.Equal(Enumerable.Repeat(AuthVerdict.Pass, SignatureVerifier.MaxSignatures).Append(AuthVerdict.Policy), results.Dkim.Select(r => r.Verdict));
        Assert.Equal("too many signatures: only the first 10 are verified", results.Dkim[^1].Reason);
        Assert.Equal(queries + 1, Dns.Queries);
    }

    [Fact]
    public async Task UnsignedMessage_HasNoResults()
    {
        var results = await VerifyAsync(SigningKeys.Message(Domain));

        Assert.Equal((0, AuthVerdict.None), (results.Dkim.Count, results.Arc.Verdict));
    }

    [Fact]
    public async Task Cancellation_Propagates_WhileAKeyLookupWaits()
    {
        var key = _keys.Publish("slow.example", "sel1", DkimAlgorithm.RsaSha256);
        Dns.Slow(SigningKeys.RecordName("slow.example", "sel1"), TimeSpan.FromSeconds(5));
        var signed = await Dkimpy.SignAsync(SigningKeys.Message("slow.example"), key, "sel1", "slow.example", "rsa-sha256");
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _keys.VerifyAsync(signed, cancellationToken: cancellation.Token));
    }

    private Task<SignatureResults> VerifyAsync(byte[] message) => _keys.VerifyAsync(message);

    /// <summary>The <c>b=</c> value of each DKIM-Signature, unfolded, in the message's order.</summary>
    private static List<string> SignatureValues(byte[] message) =>
        SignatureValue().Matches(Encoding.UTF8.GetString(message)).Select(m => Regex.Replace(m.Groups[1].Value, @"\s", string.Empty)).ToList();

    [GeneratedRegex(@"^DKIM-Signature:(?:.*\r\n[ \t])*?.*?[; \t]b=([^;]*?)(?:;|\r\n(?![ \t]))", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SignatureValue();
}
