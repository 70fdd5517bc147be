using System.Collections.Concurrent;
using Org.BouncyCastle.Crypto;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>
/// The public keys of DKIM and ARC key records, parsed once per instance rather than once per message: making an RSA key,
/// BouncyCastle proves its modulus composite with Miller-Rabin rounds, milliseconds of CPU for 2,048 bits, and most mail
/// comes from a few selectors. Keyed by the record's text, so a record that changes is parsed anew; DNS is still asked
/// for every message.
/// </summary>
public sealed class PublicKeyCache
{
    /// <summary>Far more selectors than an instance meets between restarts; past it the cache starts again rather than grow.</summary>
    private const int MaxRecords = 4096;

    private readonly ConcurrentDictionary<string, AsymmetricKeyParameter> _keys = new(StringComparer.Ordinal);

    /// <param name="parse">Throws for a record that holds no key: such records are not kept.</param>
    internal AsymmetricKeyParameter GetOrParse(string record, Func<string, AsymmetricKeyParameter> parse)
    {
        if (_keys.TryGetValue(record, out var key))
        {
            return key;
        }

        key = parse(record);
        if (_keys.Count >= MaxRecords)
        {
            _keys.Clear();
        }

        _keys[record] = key;
        return key;
    }
}
