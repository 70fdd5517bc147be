using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Bounce;

/// <summary>
/// Sends one DSN for one wave of failed (or delayed) recipients of a message, from <c>&lt;&gt;</c> to
/// its envelope sender, by injecting it through the spool like any accepted message. A message from
/// <c>&lt;&gt;</c> is never reported on (RFC 3464 section 2, no DSN loops), and NOTIFY (RFC 3461) decides
/// which recipients are reported.
/// </summary>
public sealed partial class BounceSender(IMessageSpool spool, MtaStorageClients storage, IOptions<PipelineOptions> options, TimeProvider time, ILogger<BounceSender> logger)
{
    /// <summary>The listener name of the inbound documents of our DSNs.</summary>
    public const string DsnListener = "dsn";

    /// <summary>
    /// Sends the failure DSN owed for bounced recipients, then records that it went out. A crash in
    /// between sends it again on the next run: a DSN is owed at least once, and never lost.
    /// </summary>
    public async Task SettleAsync(BounceSource source, IReadOnlyList<DeliveryEntity> bounced, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bounced);
        if (bounced.Count == 0)
        {
            return;
        }

        await SendAsync(DsnKind.Failed, source, bounced, retryUntil: null, cancellationToken).ConfigureAwait(false);
        // Final rows are no longer written by anyone else, so the flag is cleared without an ETag condition.
        foreach (var chunk in bounced.Chunk(MtaStorageClients.MaxTableBatch))
        {
            await storage.Deliveries.SubmitTransactionAsync(
                chunk.Select(r => new TableTransactionAction(
                    TableTransactionActionType.UpdateMerge,
                    new TableEntity(r.PartitionKey, r.RowKey) { [nameof(DeliveryEntity.DsnPending)] = false },
                    ETag.All)),
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <returns>The id of the injected DSN, or null when nothing was to be reported.</returns>
    public async Task<string?> SendAsync(DsnKind kind, BounceSource source, IReadOnlyList<DeliveryEntity> recipients, DateTimeOffset? retryUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(recipients);
        if (recipients.Count == 0)
        {
            return null;
        }

        if (source.MailFrom.Length == 0)
        {
            LogNullSender(logger, source.Id, recipients.Count);
            return null;
        }

        var reported = recipients.Where(r => DsnNotifyKeywords.Wants(r.GetNotify(), Notify(kind))).ToList();
        if (reported.Count == 0)
        {
            return null;
        }

        var reportingMta = options.Value.HostName;
        var now = time.GetUtcNow();
        await using var stored = await StoredMessage.DownloadAsync(storage, source.Blob, source.Headers, cancellationToken).ConfigureAwait(false);
        var original = await stored.LoadAsync(cancellationToken).ConfigureAwait(false);
        var dsn = DsnBuilder.Build(kind, source, reported, original, Returned(kind, source.Ret, stored.Length), reportingMta, now, retryUntil);

        await using var transaction = await spool.BeginAsync(now, cancellationToken).ConfigureAwait(false);
        await dsn.WriteToAsync(WireFormat.Options, transaction.Body, cancellationToken).ConfigureAwait(false);
        var envelope = new Envelope(string.Empty, [new EnvelopeRecipient(source.MailFrom)], SmtpUtf8: !Ascii(source.MailFrom));
        var session = new SessionInfo("127.0.0.1", reportingMta, "LOCAL", DsnListener, now, reportingMta);
        await transaction.CommitAsync(envelope, session, source.TraceParent, cancellationToken).ConfigureAwait(false);
        LogSent(logger, kind, source.Id, reported.Count, transaction.Id);
        return transaction.Id;
    }

    /// <summary>RFC 3461 4.3: RET=FULL asks for the message in a failure report, up to our limit (Postfix's bounce_size_limit); every other report returns headers.</summary>
    private DsnReturn Returned(DsnKind kind, DsnReturn? ret, long size) =>
        kind == DsnKind.Failed && ret != DsnReturn.Headers && size <= options.Value.DsnMaxReturnedSize ? DsnReturn.Full : DsnReturn.Headers;

    private static DsnNotify Notify(DsnKind kind) => kind switch
    {
        DsnKind.Failed => DsnNotify.Failure,
        DsnKind.Delayed => DsnNotify.Delay,
        _ => DsnNotify.Success,
    };

    private static bool Ascii(string value) => value.All(char.IsAscii);

    [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Message {MessageId} has the null sender: no DSN for its {Count} failed recipients")]
    private static partial void LogNullSender(ILogger logger, string messageId, int count);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Information, Message = "{Kind} DSN for message {MessageId} ({Count} recipients) injected as {DsnId}")]
    private static partial void LogSent(ILogger logger, DsnKind kind, string messageId, int count, string dsnId);
}
