using System.Text;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// Signs our users' mail (logged in, or from a trusted network) and our DSNs once, in Ingest, with the keys of its
/// <c>From:</c> domain. The signature covers what the receiver sees after it: our trace headers (the Date and Message-ID a
/// submission gets from us among them) and the stored bytes, unchanged; it goes into the delivery task's headers, so
/// every attempt, retry and re-drive sends the same one, and the blob is never rewritten.
/// </summary>
/// <remarks>
/// Signing reads the blob, which the first attempt reads anyway: it gets this copy, so a message Ingest relays at once
/// is read once. Mail that is not ours, and every message while no domain has a key, is not read here at all.
/// </remarks>
public sealed partial class DkimMessageSigner(MtaStorageClients storage, DkimKeyring keyring, ILogger<DkimMessageSigner> logger)
{

    /// <param name="traceHeaders">Our trace headers, which go between the signatures and the stored bytes.</param>
    public async Task<SignedMessage> SignAsync(InboundMessage message, string traceHeaders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Our DSNs are ours to sign too, with the keys of the name they come from (MAILER-DAEMON@ our host name).
        if (!message.Session.FromOurUser && message.Session.Listener != BounceSender.DsnListener)
        {
            return new SignedMessage(traceHeaders, DkimStatus.NotOurs, null);
        }

        if (!await keyring.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return new SignedMessage(traceHeaders, DkimStatus.NoKey, null);
        }

        var stored = await StoredMessage.DownloadAsync(storage, message.Blob, traceHeaders, cancellationToken).ConfigureAwait(false);
        try
        {
            var parsed = await stored.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (AuthorDomain.Of(parsed) is not { } domain)
            {
                LogNoFromDomain(logger, message.Id);
                return new SignedMessage(traceHeaders, DkimStatus.NoFromDomain, stored);
            }

            var keys = await keyring.SigningKeysAsync(domain, cancellationToken).ConfigureAwait(false);
            if (keys.Count == 0)
            {
                LogNoKey(logger, message.Id, domain);
                return new SignedMessage(traceHeaders, DkimStatus.NoKey, stored);
            }

            var fields = SignedHeaderFields.For(parsed);
            var signatures = new StringBuilder();
            foreach (var key in keys)
            {
                key.SignerFor(message.Session.ReceivedAt).Sign(parsed, fields);
                // The signer puts its field on top of the parsed message; it is taken from there as the wire will carry it.
                signatures.Append(WireFormat.Serialize([parsed.Headers[0]]));
                LogSigned(logger, message.Id, key.ToString());
            }

            await stored.PrependAsync(signatures.ToString()).ConfigureAwait(false);
            return new SignedMessage(stored.TraceHeaders, DkimStatus.Signed, stored);
        }
        catch
        {
            await stored.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(EventId = 3511, Level = LogLevel.Debug, Message = "Message {MessageId} signed with {Key}")]
    private static partial void LogSigned(ILogger logger, string messageId, string key);

    [LoggerMessage(EventId = 3512, Level = LogLevel.Information, Message = "Message {MessageId} goes out unsigned: its From domain {Domain} has no DKIM key")]
    private static partial void LogNoKey(ILogger logger, string messageId, string domain);

    [LoggerMessage(EventId = 3513, Level = LogLevel.Information, Message = "Message {MessageId} goes out unsigned: its header section names no one From domain")]
    private static partial void LogNoFromDomain(ILogger logger, string messageId);
}
