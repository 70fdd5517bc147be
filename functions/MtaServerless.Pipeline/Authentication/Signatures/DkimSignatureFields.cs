using System.Globalization;
using MimeKit.Cryptography;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>Why a signature gets no pass or fail: the verdict it gets instead and the reason reported with it.</summary>
internal sealed record Rejection(AuthVerdict Verdict, string Reason);

/// <summary>
/// The tags of one DKIM-Signature, checked as RFC 6376 6.1.1 asks before any key is fetched. What is wrong as written
/// (a missing required tag, a bad value, <c>i=</c> outside <c>d=</c>, an expired <c>x=</c>, an unsigned From) is
/// permerror; what is well formed but beyond us (an unknown algorithm, canonicalization or query method) is neutral;
/// rsa-sha1 is policy, because RFC 8301 forbids treating it as valid.
/// </summary>
/// <param name="Identity">The domain of <c>i=</c>, <paramref name="Domain"/> when there is none.</param>
/// <param name="BodyLength"><c>l=</c>, or -1 for the whole body, as MimeKit takes it.</param>
internal sealed record DkimSignatureFields(
    DkimSignatureAlgorithm Algorithm,
    DkimCanonicalizationAlgorithm HeaderCanonicalization,
    DkimCanonicalizationAlgorithm BodyCanonicalization,
    string Domain,
    string Identity,
    string Selector,
    string[] SignedFields,
    string BodyHash,
    string Signature,
    int BodyLength)
{
    private static readonly string[] Required = ["v", "a", "b", "bh", "d", "h", "s"];

    /// <returns>The fields, or null with <paramref name="rejection"/> set.</returns>
    public static DkimSignatureFields? Read(IReadOnlyDictionary<string, string> tags, DateTimeOffset now, out Rejection? rejection)
    {
        rejection = Check(tags, now);
        if (rejection is not null)
        {
            return null;
        }

        var (header, body) = Canonicalizations(tags.GetValueOrDefault("c"))!.Value;
        return new DkimSignatureFields(
            AlgorithmOf(tags["a"])!.Value,
            header,
            body,
            DkimNames.ToALabel(tags["d"])!,
            tags.TryGetValue("i", out var auid) ? IdentityDomain(auid)! : DkimNames.ToALabel(tags["d"])!,
            DkimNames.ToALabel(tags["s"])!,
            tags["h"].Split(':'),
            tags["bh"],
            tags["b"],
            tags.TryGetValue("l", out var l) ? int.Parse(l, NumberStyles.None, CultureInfo.InvariantCulture) : -1);
    }

    private static Rejection? Check(IReadOnlyDictionary<string, string> tags, DateTimeOffset now)
    {
        if (Required.FirstOrDefault(tag => !tags.TryGetValue(tag, out var value) || value.Length == 0) is { } missing)
        {
            return PermError($"missing required tag {missing}=");
        }

        if (tags["v"] != "1")
        {
            return PermError($"incompatible version v={tags["v"]}");
        }

        if (tags["a"].Equals("rsa-sha1", StringComparison.OrdinalIgnoreCase))
        {
            return new Rejection(AuthVerdict.Policy, "rsa-sha1 is not accepted (RFC 8301)");
        }

        if (AlgorithmOf(tags["a"]) is null)
        {
            return new Rejection(AuthVerdict.Neutral, $"unsupported algorithm a={tags["a"]}");
        }

        if (Canonicalizations(tags.GetValueOrDefault("c")) is null)
        {
            return new Rejection(AuthVerdict.Neutral, $"unsupported canonicalization c={tags["c"]}");
        }

        if (tags.TryGetValue("q", out var q) && !q.Split(':').Any(method => method.Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
        {
            return new Rejection(AuthVerdict.Neutral, $"unsupported query method q={q}");
        }

        if (DkimNames.ToALabel(tags["d"]) is not { } domain || DkimNames.ToALabel(tags["s"]) is null)
        {
            return PermError("d= or s= is not a domain name");
        }

        if (!IsBase64(tags["b"]) || !IsBase64(tags["bh"]))
        {
            return PermError("b= or bh= is not base64");
        }

        if (!tags["h"].Split(':').Any(field => field.Equals("from", StringComparison.OrdinalIgnoreCase)))
        {
            return PermError("From is not signed (h=)");
        }

        if (tags.TryGetValue("i", out var auid) && !IsUnder(auid, domain))
        {
            return PermError($"i= domain is not d={domain} or under it");
        }

        return CheckNumbers(tags, now);
    }

    private static Rejection? CheckNumbers(IReadOnlyDictionary<string, string> tags, DateTimeOffset now)
    {
        if (tags.TryGetValue("l", out var l) && !int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return PermError($"invalid body length l={l}");
        }

        long? signedAt = null, expires = null;
        if (tags.TryGetValue("t", out var t))
        {
            signedAt = long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            if (signedAt is null)
            {
                return PermError($"invalid timestamp t={t}");
            }
        }

        if (tags.TryGetValue("x", out var x))
        {
            expires = long.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
            if (expires is null || expires < signedAt)
            {
                return PermError($"invalid expiration x={x}");
            }
        }

        return expires < now.ToUnixTimeSeconds() ? PermError("signature expired (x=)") : null;
    }

    private static Rejection PermError(string reason) => new(AuthVerdict.PermError, reason);

    private static DkimSignatureAlgorithm? AlgorithmOf(string a) => a.ToLowerInvariant() switch
    {
        "rsa-sha256" => DkimSignatureAlgorithm.RsaSha256,
        "ed25519-sha256" => DkimSignatureAlgorithm.Ed25519Sha256,
        _ => null,
    };

    /// <summary>RFC 6376 3.5: <c>c=header/body</c>, simple when absent; <c>c=relaxed</c> alone leaves the body simple.</summary>
    private static (DkimCanonicalizationAlgorithm Header, DkimCanonicalizationAlgorithm Body)? Canonicalizations(string? c)
    {
        var parts = (c ?? "simple/simple").Split('/');
        var header = Canonicalization(parts[0]);
        var body = parts.Length == 1 ? DkimCanonicalizationAlgorithm.Simple : Canonicalization(parts[1]);
        return parts.Length <= 2 && header is { } h && body is { } b ? (h, b) : null;
    }

    private static DkimCanonicalizationAlgorithm? Canonicalization(string name) => name.ToLowerInvariant() switch
    {
        "simple" => DkimCanonicalizationAlgorithm.Simple,
        "relaxed" => DkimCanonicalizationAlgorithm.Relaxed,
        _ => null,
    };

    private static bool IsUnder(string auid, string domain) =>
        IdentityDomain(auid) is { } identity && (identity == domain || identity.EndsWith("." + domain, StringComparison.Ordinal));

    /// <summary>The domain of <c>i=</c> (<c>[local-part] "@" domain</c>).</summary>
    private static string? IdentityDomain(string auid)
    {
        var at = auid.LastIndexOf('@');
        return at < 0 ? null : DkimNames.ToALabel(auid[(at + 1)..]);
    }

    private static bool IsBase64(string value)
    {
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _);
    }
}
