using System.Globalization;
using MimeKit;
using MimeKit.Cryptography;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>
/// The ARC chain of RFC 8617 5.2 with MimeKit's <see cref="ArcVerifier"/>, reported as RFC 8601 <c>arc=</c>: none
/// without ARC sets, else pass or fail at the highest instance, with what broke. MimeKit turns a key it could not get
/// into a failed seal or signature; the reason then names the key's own trouble (a DNS temperror, say), but the verdict
/// stays fail, as RFC 8617 has no temperror of its own.
/// </summary>
internal static class ArcChainCheck
{
    public static async Task<ArcResult> VerifyAsync(MimeMessage message, MessageKeyLocator keys, CancellationToken cancellationToken)
    {
        var instances = HighestInstance(message);
        if (instances == 0)
        {
            return new ArcResult(AuthVerdict.None, 0);
        }

        var verifier = new ArcVerifier(keys) { MinimumRsaKeyLength = DkimSignatureCheck.MinimumRsaBits };
        var result = await verifier.VerifyAsync(message, cancellationToken).ConfigureAwait(false);
        // The verifier swallows every exception of a key lookup, cancellation included.
        cancellationToken.ThrowIfCancellationRequested();
        return result.Chain == ArcSignatureValidationResult.Pass
            ? new ArcResult(AuthVerdict.Pass, instances)
            : new ArcResult(AuthVerdict.Fail, instances, Reason(result, keys));
    }

    private static string Reason(ArcValidationResult result, MessageKeyLocator keys)
    {
        const ArcValidationErrors ChainValidation = ArcValidationErrors.InvalidArcSealChainValidationValue | ArcValidationErrors.MissingArcSealChainValidationValue;
        const ArcValidationErrors Verification = ArcValidationErrors.MessageSignatureValidationFailed | ArcValidationErrors.SealValidationFailed;
        var structure = result.ChainErrors & ~ChainValidation & ~Verification;
        if (structure != ArcValidationErrors.None)
        {
            return $"broken chain: {structure}";
        }

        var reasons = new List<string>();
        if ((result.ChainErrors & ChainValidation) != 0)
        {
            reasons.Add(result.Seals?.Any(s => Tags(s.Header)?.GetValueOrDefault("cv") == "fail") == true ? "cv=fail in the chain" : "wrong cv= in the chain");
        }

        if (result.MessageSignature is { Signature: ArcSignatureValidationResult.Fail } signature)
        {
            reasons.Add(Failed("ARC-Message-Signature", signature.Header, keys));
        }

        reasons.AddRange((result.Seals ?? []).Where(s => s.Signature == ArcSignatureValidationResult.Fail).Select(s => Failed("ARC-Seal", s.Header, keys)));
        return reasons.Count > 0 ? string.Join("; ", reasons) : "chain did not validate";
    }

    private static string Failed(string field, Header header, MessageKeyLocator keys)
    {
        var tags = Tags(header);
        var instance = tags?.GetValueOrDefault("i") ?? "?";
        var key = tags is null ? null : keys.Known(DkimNames.Reported(tags.GetValueOrDefault("d")), DkimNames.Reported(tags.GetValueOrDefault("s")));
        return key?.Unusable is { } unusable ? $"{field} i={instance}: {unusable.Reason}" : $"{field} i={instance} did not verify";
    }

    private static IReadOnlyDictionary<string, string>? Tags(Header header) => DkimTagList.Parse(header.Value, out _);

    /// <summary>The highest <c>i=</c> of any ARC field, parsed or not, so that a broken chain still says how long it was.</summary>
    public static int HighestInstance(MimeMessage message)
    {
        var highest = 0;
        foreach (var header in message.Headers)
        {
            int? instance = header.Id switch
            {
                HeaderId.ArcSeal or HeaderId.ArcMessageSignature =>
                    int.TryParse(Tags(header)?.GetValueOrDefault("i"), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null,
                HeaderId.ArcAuthenticationResults =>
                    AuthenticationResults.TryParse(header.RawValue, out var results) ? results.Instance : null,
                _ => null,
            };
            highest = Math.Max(highest, instance ?? 0);
        }

        return highest;
    }
}
