using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace MtaServerless.Core.Dkim;

/// <summary>
/// A row of the <c>dkimkeys</c> table: partition = the sender domain (lower-case A-label), row = the selector. It holds
/// what anyone may see (the public key of the DNS record) and the name the private key has in the key store; never
/// the private key itself.
/// </summary>
public sealed class DkimKeyEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary><c>rsa-sha256</c> or <c>ed25519-sha256</c>.</summary>
    public string Algorithm { get; set; } = string.Empty;

    /// <summary>The <c>p=</c> value of the DNS record: base64 of the RSA SubjectPublicKeyInfo, or of the raw Ed25519 key (RFC 8463 4.2).</summary>
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>The private key's name in the key store (a Key Vault secret, or a file of the local runner's).</summary>
    public string KeyName { get; set; } = string.Empty;

    /// <summary>Of a domain's keys of one algorithm, the oldest signs (<see cref="DkimKeySet"/>).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    [IgnoreDataMember]
    public string Domain => PartitionKey;

    [IgnoreDataMember]
    public string Selector => RowKey;

    /// <exception cref="FormatException">The row names an unknown algorithm.</exception>
    [IgnoreDataMember]
    public DkimAlgorithm ParsedAlgorithm => DkimAlgorithmNames.Parse(Algorithm);
}
