using MimeKit.Cryptography;
using MtaServerless.Pipeline.Dkim;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>
/// The DKIM and ARC keys of one message, from <see cref="AuthenticationDns"/>: each (selector, domain) is asked once,
/// however many signatures and seals name it. A record without a key, a revoked key (<c>p=</c> empty) or one that does
/// not parse is permerror; a DNS timeout or SERVFAIL is temperror (RFC 6376 6.1.2).
/// </summary>
internal sealed class MessageKeyLocator(AuthenticationDns dns, PublicKeyCache parsed, Action<string, Exception> unparseable) : DkimPublicKeyLocatorBase
{
    private readonly Dictionary<(string Selector, string Domain), PublishedKey> _keys = [];

    /// <param name="domain">An A-label in lowercase, as <see cref="DkimNames.ToALabel"/> gives.</param>
    public async Task<PublishedKey> FindAsync(string domain, string selector, CancellationToken cancellationToken)
    {
        if (!_keys.TryGetValue((selector, domain), out var key))
        {
            key = await LookUpAsync($"{selector}._domainkey.{domain}", cancellationToken).ConfigureAwait(false);
            _keys[(selector, domain)] = key;
        }

        return key;
    }

    /// <summary>The key a lookup already found or failed to find, for telling why an ARC header did not verify.</summary>
    public PublishedKey? Known(string domain, string selector) => _keys.GetValueOrDefault((selector, domain));

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        if (DkimNames.ToALabel(domain) is not { } name || DkimNames.ToALabel(selector) is not { } label)
        {
            throw new KeyUnavailableException(new Rejection(AuthVerdict.PermError, "d= or s= is not a domain name"));
        }

        var found = await FindAsync(name, label, cancellationToken).ConfigureAwait(false);
        return found.Key ?? throw new KeyUnavailableException(found.Unusable!);
    }

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("Keys are looked up asynchronously only.");

    private async Task<PublishedKey> LookUpAsync(string name, CancellationToken cancellationToken)
    {
        var answer = await dns.TxtAsync(name, cancellationToken).ConfigureAwait(false);
        // DnsClient reports a cancelled query as a failed one, which would read as temperror.
        cancellationToken.ThrowIfCancellationRequested();
        return answer.Outcome switch
        {
            DnsOutcome.Found => Parse(name, answer.Records[0]),
            DnsOutcome.TempError => PublishedKey.None(AuthVerdict.TempError, $"key lookup {name} failed (temperror)"),
            _ => PublishedKey.None(AuthVerdict.PermError, $"no key record at {name}"),
        };
    }

    private PublishedKey Parse(string name, string record)
    {
        var tags = DkimPublicRecord.Tags(record);
        var keyType = tags.GetValueOrDefault("k", "rsa");
        var problem =
            tags.TryGetValue("v", out var v) && v != "DKIM1" ? $"key record {name} has v={v}"
            : !tags.TryGetValue("p", out var p) ? $"key record {name} has no p="
            : p.Length == 0 ? $"key {name} is revoked (empty p=)"
            : keyType is not ("rsa" or "ed25519") ? $"key record {name} has unknown k={keyType}"
            : tags.TryGetValue("s", out var service) && !service.Split(':').Any(s => s is "*" or "email") ? $"key {name} is not for email (s={service})"
            : null;
        if (problem is not null)
        {
            return PublishedKey.None(AuthVerdict.PermError, problem);
        }

        AsymmetricKeyParameter key;
        try
        {
            key = parsed.GetOrParse(record, GetPublicKey);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // BouncyCastle's PEM and Ed25519 readers throw several exception types for bad base64 or key bytes.
            unparseable(name, ex);
            return PublishedKey.None(AuthVerdict.PermError, $"key record {name} does not parse");
        }

        // An EC key, say, under k=rsa: the signer MimeKit makes for the algorithm would refuse it with an exception.
        return (keyType == "rsa" ? key is RsaKeyParameters : key is Ed25519PublicKeyParameters)
            ? PublishedKey.Of(key, tags)
            : PublishedKey.None(AuthVerdict.PermError, $"key record {name} holds no {keyType} key");
    }
}
