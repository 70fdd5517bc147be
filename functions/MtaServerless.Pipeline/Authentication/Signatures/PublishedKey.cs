using Org.BouncyCastle.Crypto;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>A selector's public key as its TXT record gave it (RFC 6376 3.6.1), or why there is none to verify with.</summary>
internal sealed record PublishedKey(AsymmetricKeyParameter? Key, string KeyType, Rejection? Unusable)
{
    public static PublishedKey Of(AsymmetricKeyParameter key, string keyType) => new(key, keyType, null);

    public static PublishedKey None(AuthVerdict verdict, string reason) => new(null, string.Empty, new Rejection(verdict, reason));
}

/// <summary>A key <see cref="MessageKeyLocator"/> could not give; MimeKit's ARC verifier turns it into a failed seal or signature.</summary>
internal sealed class KeyUnavailableException(Rejection rejection) : Exception(rejection.Reason);
