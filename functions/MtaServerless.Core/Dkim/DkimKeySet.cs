namespace MtaServerless.Core.Dkim;

/// <summary>
/// Which of a domain's keys sign: per algorithm the oldest, so that a key added by a rotation waits, published, until
/// the old one is removed (by then its DNS record has spread). Ed25519 (RFC 8463) only signs beside an RSA
/// signature: many verifiers do not know it yet, and a message signed with it alone would look unsigned to them.
/// </summary>
public static class DkimKeySet
{
    /// <param name="keys">The keys of one domain.</param>
    /// <returns>The RSA key that signs, then the Ed25519 one when there is one; empty when the domain has no RSA key.</returns>
    public static IReadOnlyList<DkimKeyEntity> Signing(IEnumerable<DkimKeyEntity> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var oldest = keys
            .OrderBy(k => k.CreatedAt)
            .ThenBy(k => k.Selector, StringComparer.Ordinal)
            .GroupBy(k => k.ParsedAlgorithm)
            .ToDictionary(g => g.Key, g => g.First());
        if (!oldest.TryGetValue(DkimAlgorithm.RsaSha256, out var rsa))
        {
            return [];
        }

        return oldest.TryGetValue(DkimAlgorithm.Ed25519Sha256, out var ed25519) ? [rsa, ed25519] : [rsa];
    }
}
