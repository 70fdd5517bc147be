using System.Security.Cryptography;
using MimeKit;
using MimeKit.Cryptography;
using MtaServerless.Core.Dkim;
using Org.BouncyCastle.Crypto;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>A key that signs for a domain, loaded. A class, not a record: nothing prints its private key by accident.</summary>
/// <param name="privateKey">The key as MimeKit takes it.</param>
/// <param name="nativeRsa">The same RSA key for the platform's cryptography, which signs (<see cref="NativeRsaSigner"/>); null for Ed25519.</param>
public sealed class DkimSigningKey(string domain, string selector, DkimAlgorithm algorithm, AsymmetricKeyParameter privateKey, RSA? nativeRsa)
{
    public string Domain { get; } = domain;

    public string Selector { get; } = selector;

    public DkimAlgorithm Algorithm { get; } = algorithm;

    /// <summary>
    /// A MimeKit signer over relaxed/relaxed canonicalization (it survives the re-folding and white space changes of
    /// relays), with no <c>l=</c> (a body length would let anyone append content) and no expiry.
    /// </summary>
    /// <param name="signedAt">The <c>t=</c> tag: the message's arrival, so that signing it again gives the same signature.</param>
    public DkimSigner SignerFor(DateTimeOffset signedAt) => new ArrivalTimeSigner(
        privateKey,
        Domain,
        Selector,
        Algorithm == DkimAlgorithm.RsaSha256 ? DkimSignatureAlgorithm.RsaSha256 : DkimSignatureAlgorithm.Ed25519Sha256,
        signedAt,
        nativeRsa)
    {
        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
    };

    /// <summary>
    /// A MimeKit ARC sealer (RFC 8617) with this key, relaxed/relaxed like our signatures, whose ARC-Authentication-Results
    /// are <paramref name="results"/> and whose <c>cv=</c> is their <c>arc=</c> result.
    /// </summary>
    /// <param name="sealedAt">The <c>t=</c> tag of both signatures: the message's arrival, so that sealing it again gives the same set.</param>
    /// <param name="results">Our results for the message; MimeKit gives them the new set's instance.</param>
    public ArcSigner SealerFor(DateTimeOffset sealedAt, AuthenticationResults results) => new ArrivalTimeSealer(
        privateKey,
        Domain,
        Selector,
        Algorithm == DkimAlgorithm.RsaSha256 ? DkimSignatureAlgorithm.RsaSha256 : DkimSignatureAlgorithm.Ed25519Sha256,
        sealedAt,
        nativeRsa,
        results)
    {
        HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
    };

    public override string ToString() => $"{DkimAlgorithmNames.ToName(Algorithm)} {Selector}._domainkey.{Domain}";

    /// <summary>
    /// MimeKit's signer stamps <c>t=</c> with the clock; ours with the arrival time, so that a replay of Ingest, signing
    /// the same bytes with the same key, makes the same signature (RSA PKCS#1 v1.5 and Ed25519 are deterministic).
    /// </summary>
    private sealed class ArrivalTimeSigner(AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, DateTimeOffset signedAt, RSA? nativeRsa)
        : DkimSigner(key, domain, selector, algorithm)
    {
        protected override long GetTimestamp() => signedAt.ToUnixTimeSeconds();

        protected override ISigner CreateSigningContext() => nativeRsa is null ? base.CreateSigningContext() : new NativeRsaSigner(nativeRsa);
    }

    /// <summary>The sealer's counterpart of <see cref="ArrivalTimeSigner"/>: the same <c>t=</c> and the same native RSA.</summary>
    private sealed class ArrivalTimeSealer(
        AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, DateTimeOffset sealedAt, RSA? nativeRsa, AuthenticationResults results)
        : ArcSigner(key, domain, selector, algorithm)
    {
        protected override long GetTimestamp() => sealedAt.ToUnixTimeSeconds();

        protected override ISigner CreateSigningContext() => nativeRsa is null ? base.CreateSigningContext() : new NativeRsaSigner(nativeRsa);

        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => results;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(results);
    }
}
