using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>
/// One well-formed DKIM-Signature against the message and its key, in MimeKit's canonicalization. MimeKit's own
/// <see cref="DkimVerifier"/> answers only true or false; this tells a changed body from a changed header, and a key
/// too weak to count (RFC 8301: RSA under 1024 bits is policy) from one that does not verify.
/// </summary>
internal sealed class DkimSignatureCheck : DkimVerifierBase
{
    public const int MinimumRsaBits = 1024;

    private readonly MessageKeyLocator _keys;

    public DkimSignatureCheck(MessageKeyLocator keys)
        : base(keys)
    {
        _keys = keys;
    }

    public async Task<(AuthVerdict Verdict, string? Reason)> VerifyAsync(MimeMessage message, Header signature, DkimSignatureFields fields, CancellationToken cancellationToken)
    {
        if (!VerifyBodyHash(WireFormat.Options, message, fields.Algorithm, fields.BodyCanonicalization, fields.BodyLength, fields.BodyHash))
        {
            return (AuthVerdict.Fail, "body hash did not verify");
        }

        var published = await _keys.FindAsync(fields.Domain, fields.Selector, cancellationToken).ConfigureAwait(false);
        if (published.Unusable is { } unusable)
        {
            return (unusable.Verdict, unusable.Reason);
        }

        var expected = fields.Algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";
        if (published.KeyType != expected)
        {
            return (AuthVerdict.PermError, $"key is k={published.KeyType}, the signature needs {expected}");
        }

        if (!published.Allows("sha256"))
        {
            return (AuthVerdict.PermError, $"key does not allow sha256 (h={published.Tags["h"]})");
        }

        if (published.Strict && fields.Identity != fields.Domain)
        {
            return (AuthVerdict.PermError, $"key forbids a subdomain in i= (t=s), i= is under {fields.Identity}");
        }

        if (published.Key is RsaKeyParameters { Modulus.BitLength: var bits and < MinimumRsaBits })
        {
            return (AuthVerdict.Policy, $"RSA key of {bits} bits, under the {MinimumRsaBits} RFC 8301 requires");
        }

        try
        {
            return VerifySignature(WireFormat.Options, message, signature, fields.Algorithm, published.Key!, fields.SignedFields, fields.HeaderCanonicalization, fields.Signature)
                ? (AuthVerdict.Pass, null)
                : (AuthVerdict.Fail, "signature did not verify");
        }
        catch (FormatException ex)
        {
            return (AuthVerdict.PermError, ex.Message);
        }
    }
}
