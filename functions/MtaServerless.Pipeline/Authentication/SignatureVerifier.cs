using Microsoft.Extensions.Logging;
using MimeKit;
using MtaServerless.Pipeline.Authentication.Signatures;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// RFC 6376 verification of every DKIM-Signature and RFC 8617 validation of the ARC chain, with MimeKit and keys from
/// <see cref="AuthenticationDns"/>, each key asked once per message. Only <see cref="MaxSignatures"/> signatures are
/// checked: each costs a body hash and a DNS query, and a sender could add hundreds.
/// </summary>
public sealed partial class SignatureVerifier(AuthenticationDns dns, PublicKeyCache parsedKeys, TimeProvider time, ILogger<SignatureVerifier> logger) : ISignatureVerifier
{
    public const int MaxSignatures = 10;

    public async Task<SignatureResults> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var keys = new MessageKeyLocator(dns, parsedKeys, (name, ex) => LogUnparseableKey(logger, name, ex));
        var check = new DkimSignatureCheck(keys);
        var dkim = new List<DkimResult>();
        // One result past the cap stands for every signature not verified: a result each would let a message of thousands
        // of signatures make an Authentication-Results field, and a delivery task, too large to store.
        foreach (var signature in message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Take(MaxSignatures + 1))
        {
            var result = await VerifyAsync(message, signature, dkim.Count, check, cancellationToken).ConfigureAwait(false);
            LogSignature(logger, dkim.Count + 1, result.Domain, result.Selector, result.Verdict, result.Reason);
            dkim.Add(result);
        }

        var arc = await VerifyArcAsync(message, keys, cancellationToken).ConfigureAwait(false);
        LogVerified(logger, dkim.Count, dkim.Count(r => r.Verdict == AuthVerdict.Pass), arc.Verdict, arc.Instances, arc.Reason);
        return new SignatureResults(dkim, arc);
    }

    private async Task<DkimResult> VerifyAsync(MimeMessage message, Header signature, int index, DkimSignatureCheck check, CancellationToken cancellationToken)
    {
        var tags = DkimTagList.Parse(signature.Value, out var syntaxError);
        DkimResult Result(AuthVerdict verdict, string? reason) => new(
            verdict,
            DkimNames.Reported(tags?.GetValueOrDefault("d")),
            tags?.GetValueOrDefault("s") ?? string.Empty,
            tags?.GetValueOrDefault("b") is { } b ? b[..Math.Min(8, b.Length)] : string.Empty,
            reason);

        if (index >= MaxSignatures)
        {
            return Result(AuthVerdict.Policy, $"too many signatures: only the first {MaxSignatures} are verified");
        }

        if (tags is null)
        {
            return Result(AuthVerdict.PermError, syntaxError);
        }

        if (DkimSignatureFields.Read(tags, time.GetUtcNow(), out var rejection) is not { } fields)
        {
            return Result(rejection!.Verdict, rejection.Reason);
        }

        try
        {
            var (verdict, reason) = await check.VerifyAsync(message, signature, fields, cancellationToken).ConfigureAwait(false);
            return Result(verdict, reason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // MimeKit and BouncyCastle have more ways to refuse odd input than their documentation lists; one signature
            // they choke on is that signature's permerror, never a failed message.
            LogUnexpected(logger, "DKIM signature", ex);
            return Result(AuthVerdict.PermError, "signature could not be verified");
        }
    }

    private async Task<ArcResult> VerifyArcAsync(MimeMessage message, MessageKeyLocator keys, CancellationToken cancellationToken)
    {
        try
        {
            return await ArcChainCheck.VerifyAsync(message, keys, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUnexpected(logger, "ARC chain", ex);
            return new ArcResult(AuthVerdict.Fail, ArcChainCheck.HighestInstance(message), "chain could not be validated");
        }
    }

    [LoggerMessage(EventId = 3701, Level = LogLevel.Debug, Message = "DKIM signature {Index} (d={Domain} s={Selector}): {Verdict} {Reason}")]
    private static partial void LogSignature(ILogger logger, int index, string domain, string selector, AuthVerdict verdict, string? reason);

    [LoggerMessage(EventId = 3702, Level = LogLevel.Information, Message = "Verified {Signatures} DKIM signatures ({Passed} pass); ARC {ArcVerdict} at i={ArcInstances} {ArcReason}")]
    private static partial void LogVerified(ILogger logger, int signatures, int passed, AuthVerdict arcVerdict, int arcInstances, string? arcReason);

    [LoggerMessage(EventId = 3703, Level = LogLevel.Debug, Message = "The DKIM key record {Name} does not parse")]
    private static partial void LogUnparseableKey(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 3704, Level = LogLevel.Warning, Message = "Verifying a {What} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, string what, Exception exception);
}
