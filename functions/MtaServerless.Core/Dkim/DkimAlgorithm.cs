namespace MtaServerless.Core.Dkim;

/// <summary>The signing algorithms we generate keys for: RSA with SHA-256 (RFC 6376), and Ed25519 with SHA-256 (RFC 8463).</summary>
public enum DkimAlgorithm
{
    RsaSha256,
    Ed25519Sha256,
}

/// <summary>The names the <c>dkimkeys</c> table, the DKIM-Signature's <c>a=</c> tag and the CLI use.</summary>
public static class DkimAlgorithmNames
{
    public static string ToName(DkimAlgorithm algorithm) => algorithm switch
    {
        DkimAlgorithm.RsaSha256 => "rsa-sha256",
        DkimAlgorithm.Ed25519Sha256 => "ed25519-sha256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    /// <summary>The key type of the DNS record's <c>k=</c> tag.</summary>
    public static string KeyType(DkimAlgorithm algorithm) => algorithm switch
    {
        DkimAlgorithm.RsaSha256 => "rsa",
        DkimAlgorithm.Ed25519Sha256 => "ed25519",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    /// <summary>Reads a stored name (<c>rsa-sha256</c>) or the CLI's short one (<c>rsa</c>, <c>ed25519</c>).</summary>
    /// <exception cref="FormatException">Neither.</exception>
    public static DkimAlgorithm Parse(string value) => value.ToLowerInvariant() switch
    {
        "rsa-sha256" or "rsa" => DkimAlgorithm.RsaSha256,
        "ed25519-sha256" or "ed25519" => DkimAlgorithm.Ed25519Sha256,
        _ => throw new FormatException($"Unknown DKIM algorithm '{value}' (expected rsa or ed25519)."),
    };
}
