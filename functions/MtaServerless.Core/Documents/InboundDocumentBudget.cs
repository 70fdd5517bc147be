using System.Text.Json;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;

namespace MtaServerless.Core.Documents;

/// <summary>
/// How large a transaction's <c>inbound</c> document will be, kept recipient by recipient, so that the edge can refuse
/// the recipient that would not fit in a queue message with <c>452 4.5.3</c> (the client sends the rest in another
/// transaction) instead of failing the whole message at end of data. The size is exact for what is known at RCPT
/// time and an upper bound for what the spool fills in later (ids, arrival time, trace context).
/// </summary>
public sealed class InboundDocumentBudget
{
    private static readonly string LongestId = new('f', MessageId.New().Length);
    private static readonly string LongestTraceParent = $"00-{new string('f', 32)}-{new string('f', 16)}-01";

    private int _bytes;
    private int _recipients;

    private InboundDocumentBudget(int bytes) => _bytes = bytes;

    /// <summary>Starts from the document the transaction would make with no recipient.</summary>
    public static InboundDocumentBudget For(Envelope envelope, SessionInfo session)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(session);
        var draft = new InboundMessage(
            LongestId,
            StorageNames.SpoolBlobName(LongestId, DateTimeOffset.MaxValue),
            envelope with { Recipients = [] },
            session with { ReceivedAt = DateTimeOffset.MaxValue },
            LongestTraceParent,
            int.MaxValue);
        return new InboundDocumentBudget(JsonSerializer.SerializeToUtf8Bytes(draft, DocumentJsonContext.Default.InboundMessage).Length);
    }

    /// <summary>Counts the recipient in, unless the document would then be over the queue's limit.</summary>
    public bool TryAdd(EnvelopeRecipient recipient)
    {
        // Array elements after the first are preceded by a comma.
        var bytes = _bytes + JsonSerializer.SerializeToUtf8Bytes(recipient, DocumentJsonContext.Default.EnvelopeRecipient).Length + (_recipients > 0 ? 1 : 0);
        if (QueueDocuments.EncodedLength(bytes) > QueueDocuments.MaxEncodedBytes)
        {
            return false;
        }

        _bytes = bytes;
        _recipients++;
        return true;
    }
}
