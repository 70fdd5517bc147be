using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Caching;
using MtaServerless.Core.Dkim;
using Org.BouncyCastle.Crypto;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// The keys that sign for each domain: the <c>dkimkeys</c> table through a short-lived cache (an added or removed key
/// applies within the TTL, as a route edit does), and each private key read from the store once per instance and kept
/// in memory. A key's name never changes what it holds (a rotation makes a new key), so a loaded key needs no refresh.
/// </summary>
public sealed partial class DkimKeyring
{
    private readonly IDkimKeyStore? _store;
    private readonly ILogger<DkimKeyring> _logger;
    private readonly SnapshotCache<ILookup<string, DkimKeyEntity>> _rows;
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedKey?>>> _loaded = new(StringComparer.Ordinal);

    /// <param name="store">Null when no store is configured: then nothing is signed.</param>
    public DkimKeyring(TableClient table, IDkimKeyStore? store, TimeProvider time, ILogger<DkimKeyring> logger, TimeSpan ttl)
    {
        _store = store;
        _logger = logger;
        _rows = new SnapshotCache<ILookup<string, DkimKeyEntity>>(ct => LoadRowsAsync(table, logger, ct), time, ttl);
    }

    /// <summary>Whether any domain has a key: when none has, Ingest need not read a message to find its <c>From:</c> domain.</summary>
    public async Task<bool> AnyAsync(CancellationToken cancellationToken) =>
        _store is not null && (await _rows.GetAsync(cancellationToken).ConfigureAwait(false)).Count > 0;

    /// <param name="domain">A lower-case A-label.</param>
    /// <returns>The keys that sign for the domain (<see cref="DkimKeySet.Signing"/>) whose private key the store has; empty when none.</returns>
    public async Task<IReadOnlyList<DkimSigningKey>> SigningKeysAsync(string domain, CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return [];
        }

        var signing = new List<DkimSigningKey>();
        foreach (var row in DkimKeySet.Signing((await _rows.GetAsync(cancellationToken).ConfigureAwait(false))[domain]))
        {
            if (await PrivateKeyAsync(_store, row, cancellationToken).ConfigureAwait(false) is { } key)
            {
                signing.Add(new DkimSigningKey(row.Domain, row.Selector, row.ParsedAlgorithm, key.Key, key.NativeRsa));
            }
        }

        // Ed25519 signs only beside RSA: its RSA key missing from the store, the domain is not signed.
        return signing is [{ Algorithm: DkimAlgorithm.RsaSha256 }, ..] ? signing : [];
    }

    private async Task<LoadedKey?> PrivateKeyAsync(IDkimKeyStore store, DkimKeyEntity row, CancellationToken cancellationToken)
    {
        var loading = _loaded.GetOrAdd(row.KeyName, name => new Lazy<Task<LoadedKey?>>(() => LoadKeyAsync(store, row, cancellationToken)));
        LoadedKey? key = null;
        try
        {
            key = await loading.Value.ConfigureAwait(false);
            return key;
        }
        finally
        {
            if (key is null)
            {
                // A failed read (the vault throttling, the network) or a key not there yet is tried again by the next
                // message, not remembered.
                _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedKey?>>>(row.KeyName, loading));
            }
        }
    }

    private async Task<LoadedKey?> LoadKeyAsync(IDkimKeyStore store, DkimKeyEntity row, CancellationToken cancellationToken)
    {
        var pem = await store.GetAsync(row.KeyName, cancellationToken).ConfigureAwait(false);
        if (pem is null)
        {
            // A row without its key: mail goes out unsigned rather than waiting for a key that may never come.
            LogKeyMissing(_logger, row.Domain, row.Selector, row.KeyName);
            return null;
        }

        try
        {
            var (parameter, nativeRsa) = DkimKeyMaterial.ReadPrivateKey(pem);
            return new LoadedKey(parameter, nativeRsa);
        }
        catch (Exception ex) when (ex is FormatException or IOException or InvalidCastException or ArgumentException)
        {
            // The exception is not logged: a parser's message could quote what it read.
            LogKeyUnreadable(_logger, row.Domain, row.Selector, row.KeyName, ex.GetType().Name);
            return null;
        }
    }

    private static async Task<ILookup<string, DkimKeyEntity>> LoadRowsAsync(TableClient table, ILogger logger, CancellationToken cancellationToken)
    {
        var rows = new List<DkimKeyEntity>();
        await foreach (var row in table.QueryAsync<DkimKeyEntity>(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                _ = row.ParsedAlgorithm;
                rows.Add(row);
            }
            catch (FormatException)
            {
                // One bad row must not stop the signing of every other domain.
                LogInvalidRow(logger, row.Domain, row.Selector, row.Algorithm);
            }
        }

        return rows.ToLookup(r => r.Domain, StringComparer.Ordinal);
    }

    /// <summary>A class, not a record: nothing prints the key by accident.</summary>
    private sealed class LoadedKey(AsymmetricKeyParameter key, RSA? nativeRsa)
    {
        public AsymmetricKeyParameter Key { get; } = key;

        public RSA? NativeRsa { get; } = nativeRsa;
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Error, Message = "DKIM key {Selector} of {Domain} is not in the key store under {KeyName}; its domain's mail goes out unsigned")]
    private static partial void LogKeyMissing(ILogger logger, string domain, string selector, string keyName);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Error, Message = "DKIM key {Selector} of {Domain} in the key store under {KeyName} is no private key ({Error}); its domain's mail goes out unsigned")]
    private static partial void LogKeyUnreadable(ILogger logger, string domain, string selector, string keyName, string error);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Error, Message = "DKIM key {Selector} of {Domain} names an unknown algorithm {Algorithm} and is ignored")]
    private static partial void LogInvalidRow(ILogger logger, string domain, string selector, string algorithm);
}
