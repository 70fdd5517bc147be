using System.Text;
using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Local delivery for <c>mailbox</c> routes: one blob per recipient in <c>mailboxes</c>, named from
/// the message id, so a second run finds the copy and writes nothing. <c>Return-Path:</c> and
/// <c>Delivered-To:</c> (RFC 5321 4.4, RFC 9228) go on top of the trace headers and the stored bytes.
/// Quarantined mail (DMARC failures on an <c>enforce</c> route) is stored the same way in <c>quarantine</c>, under the
/// name its mailbox copy would have.
/// </summary>
public sealed partial class MailboxDelivery(MtaStorageClients storage, ILogger<MailboxDelivery> logger)
{
    private const int BlockSize = 4 * 1024 * 1024;

    public static string BlobName(string recipient, string messageId, DateTimeOffset receivedAt)
    {
        var mailbox = MailboxAddress.Parse(recipient);
        return $"{mailbox.Domain}/{RecipientKey.Encode(mailbox.LocalPart)}/{receivedAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{messageId}.eml";
    }

    public Task<RelayResult> DeliverAsync(string messageId, DateTimeOffset receivedAt, string mailFrom, IReadOnlyList<string> recipients, StoredMessage message, CancellationToken cancellationToken) =>
        StoreAsync(StorageNames.MailboxesContainer, LocalOutcomes.DeliveredToMailbox, messageId, receivedAt, mailFrom, recipients, message, cancellationToken);

    public Task<RelayResult> QuarantineAsync(string messageId, DateTimeOffset receivedAt, string mailFrom, IReadOnlyList<string> recipients, StoredMessage message, CancellationToken cancellationToken) =>
        StoreAsync(StorageNames.QuarantineContainer, LocalOutcomes.Quarantined, messageId, receivedAt, mailFrom, recipients, message, cancellationToken);

    private async Task<RelayResult> StoreAsync(string container, DeliveryOutcome outcome, string messageId, DateTimeOffset receivedAt, string mailFrom, IReadOnlyList<string> recipients, StoredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(message);
        var outcomes = new List<RecipientOutcome>(recipients.Count);
        foreach (var recipient in recipients)
        {
            var blob = storage.Blobs.GetBlobContainerClient(container).GetBlockBlobClient(BlobName(recipient, messageId, receivedAt));
            if (await blob.ExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                LogAlreadyDelivered(logger, messageId, recipient);
            }
            else
            {
                await WriteAsync(blob, messageId, recipient, Prefix(mailFrom, recipient, message.TraceHeaders), message.OpenStored(), cancellationToken).ConfigureAwait(false);
            }

            outcomes.Add(new RecipientOutcome(recipient, outcome));
        }

        return new RelayResult(outcomes);
    }

    /// <summary>
    /// Stages the copy in blocks and commits it in one step, so the blob exists only when complete:
    /// a run that crashes midway leaves uncommitted blocks, never a partial copy the next run would take for delivered.
    /// </summary>
    private async Task WriteAsync(BlockBlobClient blob, string messageId, string recipient, byte[] prefix, Stream stored, CancellationToken cancellationToken)
    {
        var blocks = new List<string>();
        using (var first = new MemoryStream(prefix, writable: false))
        {
            await StageAsync(blob, blocks, first, cancellationToken).ConfigureAwait(false);
        }

        var buffer = new byte[BlockSize];
        int filled;
        while ((filled = await stored.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false)) > 0)
        {
            using var chunk = new MemoryStream(buffer, 0, filled, writable: false);
            await StageAsync(blob, blocks, chunk, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await blob.CommitBlockListAsync(
                blocks,
                new CommitBlockListOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "message/rfc822" },
                    // Only the first writer commits; a concurrent run's commit fails instead of replacing the copy.
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            LogAlreadyDelivered(logger, messageId, recipient);
        }
    }

    private static async Task StageAsync(BlockBlobClient blob, List<string> blocks, Stream content, CancellationToken cancellationToken)
    {
        // Block ids must all have the same length within a blob.
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(blocks.Count.ToString("D8", System.Globalization.CultureInfo.InvariantCulture)));
        await blob.StageBlockAsync(id, content, cancellationToken: cancellationToken).ConfigureAwait(false);
        blocks.Add(id);
    }

    private static byte[] Prefix(string mailFrom, string recipient, string traceHeaders) =>
        Encoding.UTF8.GetBytes($"Return-Path: <{mailFrom}>\r\nDelivered-To: {recipient}\r\n{traceHeaders}");

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Message {MessageId} was already in the mailbox of {Recipient}")]
    private static partial void LogAlreadyDelivered(ILogger logger, string messageId, string recipient);
}
