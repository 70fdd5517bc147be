using System.Globalization;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Mail;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// What <c>mta dkim</c> does to a domain's keys. A key is generated where it belongs: the private key into the key
/// store first, then its row, so that the pipeline never finds a row without its key; removal goes the other way.
/// </summary>
public sealed partial class DkimKeyManager(TableClient table, IDkimKeyStore store, TimeProvider time)
{
    /// <summary>A domain's first key of an algorithm; it signs at once. Ed25519 only beside an RSA key (<see cref="DkimKeySet"/>).</summary>
    /// <exception cref="FormatException">The domain or selector is not valid.</exception>
    /// <exception cref="InvalidOperationException">The domain has a key of that algorithm already (that is a rotation), or an Ed25519 key would have no RSA key to sign beside.</exception>
    public async Task<DkimKeyEntity> AddAsync(string domain, string? selector, DkimAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var name = DomainName.Normalize(domain);
        var keys = await KeysAsync(name, cancellationToken).ConfigureAwait(false);
        if (keys.Any(k => k.ParsedAlgorithm == algorithm))
        {
            throw new InvalidOperationException($"{name} has a {DkimAlgorithmNames.ToName(algorithm)} key already: rotate it instead.");
        }

        if (algorithm == DkimAlgorithm.Ed25519Sha256 && !keys.Any(k => k.ParsedAlgorithm == DkimAlgorithm.RsaSha256))
        {
            throw new InvalidOperationException($"{name} has no RSA key: Ed25519 signs only beside RSA, which every receiver can verify (RFC 8463). Add an RSA key first.");
        }

        return await CreateAsync(name, selector, algorithm, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new key beside the one that signs; the old one keeps signing until it is removed.</summary>
    /// <returns>The key that signs, then the new one.</returns>
    /// <exception cref="KeyNotFoundException">The domain has no key of that algorithm to rotate.</exception>
    public async Task<(DkimKeyEntity Signing, DkimKeyEntity Added)> RotateAsync(string domain, string? selector, DkimAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var name = DomainName.Normalize(domain);
        var keys = await KeysAsync(name, cancellationToken).ConfigureAwait(false);
        var signing = DkimKeySet.Signing(keys).FirstOrDefault(k => k.ParsedAlgorithm == algorithm)
            ?? throw new KeyNotFoundException($"{name} has no {DkimAlgorithmNames.ToName(algorithm)} key that signs: add one first.");
        return (signing, await CreateAsync(name, selector, algorithm, keys, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Removes one selector, or every key of the domain; the next key of the same algorithm, if any, signs from then on.</summary>
    /// <returns>The keys removed.</returns>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    /// <exception cref="InvalidOperationException">It is the domain's last RSA key while an Ed25519 key remains, which would then sign nothing.</exception>
    public async Task<IReadOnlyList<DkimKeyEntity>> RemoveAsync(string domain, string? selector, CancellationToken cancellationToken)
    {
        var name = DomainName.Normalize(domain);
        var keys = await KeysAsync(name, cancellationToken).ConfigureAwait(false);
        var removed = selector is null ? keys : keys.Where(k => k.Selector == NormalizeSelector(selector)).ToList();
        if (removed.Count == 0)
        {
            throw new KeyNotFoundException(selector is null ? $"{name} has no DKIM key." : $"{name} has no DKIM key with selector '{selector}'.");
        }

        var left = keys.Except(removed).ToList();
        if (left.Any(k => k.ParsedAlgorithm == DkimAlgorithm.Ed25519Sha256) && !left.Any(k => k.ParsedAlgorithm == DkimAlgorithm.RsaSha256))
        {
            throw new InvalidOperationException($"That is {name}'s last RSA key, and its Ed25519 key signs only beside one: remove the Ed25519 key too, or rotate the RSA key first.");
        }

        foreach (var key in removed)
        {
            await table.DeleteEntityAsync(key.PartitionKey, key.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
            await store.DeleteAsync(key.KeyName, cancellationToken).ConfigureAwait(false);
        }

        return removed;
    }

    /// <summary>The keys of one domain, or of all; reading them needs no key store.</summary>
    /// <param name="domain">One domain, or null for all.</param>
    public static async Task<IReadOnlyList<DkimKeyEntity>> ListAsync(TableClient table, string? domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var rows = new List<DkimKeyEntity>();
        var query = domain is null
            ? table.QueryAsync<DkimKeyEntity>(cancellationToken: cancellationToken)
            : table.QueryAsync<DkimKeyEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {DomainName.Normalize(domain)}"), cancellationToken: cancellationToken);
        await foreach (var row in query.ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows.OrderBy(r => r.Domain, StringComparer.Ordinal).ThenBy(r => r.CreatedAt).ToList();
    }

    private async Task<List<DkimKeyEntity>> KeysAsync(string domain, CancellationToken cancellationToken) =>
        [.. await ListAsync(table, domain, cancellationToken).ConfigureAwait(false)];

    private async Task<DkimKeyEntity> CreateAsync(string domain, string? selector, DkimAlgorithm algorithm, IReadOnlyList<DkimKeyEntity> keys, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var chosen = selector is null ? DefaultSelector(algorithm, now, keys) : NormalizeSelector(selector);
        if (keys.Any(k => k.Selector == chosen))
        {
            throw new InvalidOperationException($"{domain} has a key with selector '{chosen}' already.");
        }

        var material = DkimKeyMaterial.Generate(algorithm);
        var row = new DkimKeyEntity
        {
            PartitionKey = domain,
            RowKey = chosen,
            Algorithm = DkimAlgorithmNames.ToName(algorithm),
            PublicKey = material.PublicKey,
            // Never reused, not even after a removal: a vault keeps a deleted secret's name for its retention period.
            KeyName = $"dkim-{Guid.NewGuid():N}",
            CreatedAt = now,
        };
        await store.SetAsync(row.KeyName, material.PrivateKeyPem, domain, chosen, cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary><c>rsa20261204</c> or <c>ed20261204</c>, with <c>-2</c>, <c>-3</c>... when the day has one already.</summary>
    private static string DefaultSelector(DkimAlgorithm algorithm, DateTimeOffset now, IReadOnlyList<DkimKeyEntity> keys)
    {
        var stem = (algorithm == DkimAlgorithm.RsaSha256 ? "rsa" : "ed") + now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var selector = stem;
        for (var n = 2; keys.Any(k => k.Selector == selector); n++)
        {
            selector = $"{stem}-{n.ToString(CultureInfo.InvariantCulture)}";
        }

        return selector;
    }

    /// <summary>RFC 6376 3.1: a selector is one or more dot-separated DNS labels; kept in lower case, as DNS compares them.</summary>
    /// <exception cref="FormatException">It is not.</exception>
    private static string NormalizeSelector(string selector) =>
        SelectorSyntax().IsMatch(selector)
            ? selector.ToLowerInvariant()
            : throw new FormatException($"'{selector}' is not a selector: letters, digits and hyphens, in dot-separated labels.");

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex SelectorSyntax();
}
