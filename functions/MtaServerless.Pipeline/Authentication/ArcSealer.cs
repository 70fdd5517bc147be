using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Dkim;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// Seals a checked message that we relay with one ARC set (RFC 8617) of <see cref="AuthenticationOptions.ArcSealDomain"/>,
/// in front of our <c>Authentication-Results:</c> field: a receiver that trusts us can then use our results after a
/// change on the way (a mailing list's footer, our own 8BITMIME conversion) broke the sender's signature. The set goes
/// into the delivery task's headers with our other fields, so every attempt sends the same one.
/// </summary>
/// <remarks>
/// The ARC-Message-Signature covers the message as the next hop receives it (our fields, then the stored bytes without the
/// forged ranges); <c>cv=</c> is our validation of the chain that arrived: none for the first set, else pass or fail. RFC
/// 8617 5.1 adds nothing past i=50 or after a seal that already says cv=fail; MimeKit also refuses sets that do not pair
/// up, where 5.1.2 would seal our set alone with cv=fail: such mail goes on unsealed, with arc=fail in our field.
/// </remarks>
public sealed partial class ArcSealer(DkimKeyring keyring, IOptions<AuthenticationOptions> options, ILogger<ArcSealer> logger)
{
    /// <summary>RFC 8617 4.2.1: the highest instance.</summary>
    public const int MaxInstance = 50;

    /// <param name="stored">The message with our fields in front, as the next hop receives it; the set goes in front of them.</param>
    /// <param name="ownResults">Our <c>Authentication-Results:</c> field, which the ARC-Authentication-Results repeat.</param>
    /// <param name="chain">Our validation of the chain that arrived.</param>
    public async Task<ArcSealStatus> SealAsync(InboundMessage message, StoredMessage stored, string ownResults, ArcResult chain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(ownResults);
        ArgumentNullException.ThrowIfNull(chain);
        if (options.Value.ArcSealDomain.Length == 0)
        {
            return ArcSealStatus.Off;
        }

        if (chain.Instances >= MaxInstance)
        {
            LogUnsealable(logger, message.Id, $"the chain has reached i={chain.Instances}");
            return ArcSealStatus.Unsealable;
        }

        var domain = DomainName.Normalize(options.Value.ArcSealDomain);
        var key = (await keyring.SigningKeysAsync(domain, cancellationToken).ConfigureAwait(false)).FirstOrDefault(k => k.Algorithm == DkimAlgorithm.RsaSha256);
        if (key is null)
        {
            LogNoKey(logger, message.Id, domain);
            return ArcSealStatus.NoKey;
        }

        var parsed = await stored.LoadAsync(cancellationToken).ConfigureAwait(false);
        var sealer = key.SealerFor(message.Session.ReceivedAt, Results(ownResults));
        try
        {
            await sealer.SignAsync(WireFormat.Options, parsed, SignedFields(parsed), cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            LogUnsealable(logger, message.Id, ex.Message);
            return ArcSealStatus.Unsealable;
        }

        // MimeKit returns without a set when a seal of the chain already says cv=fail (or any cv= out of order).
        if (parsed.Headers[0].Id != HeaderId.ArcSeal)
        {
            LogUnsealable(logger, message.Id, "a seal of the chain says cv=fail");
            return ArcSealStatus.Unsealable;
        }

        // The sealer put ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results on top, in that order.
        await stored.PrependAsync(WireFormat.Serialize(parsed.Headers.Take(3))).ConfigureAwait(false);
        LogSealed(logger, message.Id, chain.Instances + 1, key.ToString());
        return ArcSealStatus.Sealed;
    }

    /// <summary>Our field parsed, as MimeKit takes it: we built it, so it parses.</summary>
    private static AuthenticationResults Results(string field)
    {
        var value = Encoding.ASCII.GetBytes(field[(field.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        return AuthenticationResults.TryParse(value, out var results)
            ? results
            : throw new InvalidOperationException("Our Authentication-Results field does not parse.");
    }

    /// <summary>
    /// What our DKIM signatures sign, and the sender's DKIM-Signature fields (RFC 8617 4.1.2 recommends them, so that a
    /// validator can tell they arrived as they were); never Authentication-Results, which the next ADMD may remove.
    /// </summary>
    private static List<string> SignedFields(MimeMessage message) =>
        [.. SignedHeaderFields.For(message), .. message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Select(_ => "DKIM-Signature")];

    [LoggerMessage(EventId = 3781, Level = LogLevel.Debug, Message = "Message {MessageId} sealed with ARC set i={Instance} by {Key}")]
    private static partial void LogSealed(ILogger logger, string messageId, int instance, string key);

    [LoggerMessage(EventId = 3782, Level = LogLevel.Warning, Message = "Message {MessageId} goes on without an ARC set: the sealing domain {Domain} has no RSA DKIM key in the key store")]
    private static partial void LogNoKey(ILogger logger, string messageId, string domain);

    [LoggerMessage(EventId = 3783, Level = LogLevel.Information, Message = "Message {MessageId} goes on without an ARC set: {Reason}")]
    private static partial void LogUnsealable(ILogger logger, string messageId, string reason);
}
