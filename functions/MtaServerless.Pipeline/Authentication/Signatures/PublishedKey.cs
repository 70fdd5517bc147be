using Org.BouncyCastle.Crypto;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>A selector's public key as its TXT record gave it (RFC 6376 3.6.1), or why there is none to verify with.</summary>
/// <param name="Tags">The record's tags, for what it allows: <c>k=</c> the key type, <c>h=</c> the hash algorithms, <c>t=s</c> no subdomain in <c>i=</c>.</param>
internal sealed record PublishedKey(AsymmetricKeyParameter? Key, IReadOnlyDictionary<string, string> Tags, Rejection? Unusable)
{
    public string KeyType => Tags.GetValueOrDefault("k", "rsa");

    /// <summary>RFC 6376 3.6.1: without <c>h=</c>, every hash algorithm.</summary>
    public bool Allows(string hash) => !Tags.TryGetValue("h", out var h) || h.Split(':').Contains(hash, StringComparer.OrdinalIgnoreCase);

    /// <summary><c>t=s</c>: the <c>i=</c> domain must be <c>d=</c> itself.</summary>
    public bool Strict => Tags.TryGetValue("t", out var t) && t.Split(':').Contains("s", StringComparer.Ordinal);

    public static PublishedKey Of(AsymmetricKeyParameter key, IReadOnlyDictionary<string, string> tags) => new(key, tags, null);

    public static PublishedKey None(AuthVerdict verdict, string reason) => new(null, new Dictionary<string, string>(), new Rejection(verdict, reason));
}

/// <summary>A key <see cref="MessageKeyLocator"/> could not give; MimeKit's ARC verifier turns it into a failed seal or signature.</summary>
internal sealed class KeyUnavailableException(Rejection rejection) : Exception(rejection.Reason);
