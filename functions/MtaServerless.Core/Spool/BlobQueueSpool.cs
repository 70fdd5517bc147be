using Azure;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Core.Spool;

/// <summary>The spool on Azure Storage: a block blob in <c>spool</c> and a message on <c>inbound</c>.</summary>
public sealed partial class BlobQueueSpool(MtaStorageClients storage, ILogger<BlobQueueSpool> logger) : IMessageSpool
{
    /// <summary>
    /// Block size for streaming DATA: memory per message in transit is bounded by it, whatever the
    /// message size, and a message up to this size costs a single blob write.
    /// </summary>
    public const int BlockSize = 1024 * 1024;

    private readonly MtaStorageClients _storage = storage;
    private readonly ILogger _logger = logger;

    public ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var id = MessageId.New();
        var blobName = StorageNames.SpoolBlobName(id, receivedAt);
        var blob = _storage.Spool.GetBlockBlobClient(blobName);
        return ValueTask.FromResult<ISpoolTransaction>(new Transaction(this, id, blobName, blob, new SpoolBlobWriter(blob, BlockSize)));
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not remove spool blob {Blob} of an aborted transaction")]
    private static partial void LogAbortCleanupFailed(ILogger logger, string blob, Exception exception);

    private sealed class Transaction(BlobQueueSpool spool, string id, string blobName, BlockBlobClient blob, SpoolBlobWriter body) : ISpoolTransaction
    {
        private bool _blobCommitted;
        private bool _mayBeEnqueued;
        private bool _committed;

        public string Id => id;

        public string BlobName => blobName;

        public Stream Body => body;

        public async Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken)
        {
            var header = body.Header;
            var document = new InboundMessage(id, blobName, envelope, session, traceParent, header.ReceivedCount, header.HasMessageId, header.HasDate);
            var json = QueueDocuments.Serialize(document);
            try
            {
                await body.CommitAsync(cancellationToken).ConfigureAwait(false);
                _blobCommitted = true;
                await spool._storage.Inbound.EnqueueAsync(json, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or IOException or OperationCanceledException or AggregateException)
            {
                // Only a reply from the service proves the message was not enqueued; after a timeout or a broken
                // connection it may have been, and its blob must stay (a duplicate is better than a lost message).
                _mayBeEnqueued = _blobCommitted && ex is not RequestFailedException { Status: > 0 };
                throw new SpoolWriteException($"Could not spool message {id}.", ex);
            }

            _committed = true;
            return document;
        }

        public async ValueTask DisposeAsync()
        {
            await body.DisposeAsync().ConfigureAwait(false);
            if (_committed || !_blobCommitted || _mayBeEnqueued)
            {
                // Staged but uncommitted blocks are not a blob; storage discards them by itself.
                return;
            }

            try
            {
                await blob.DeleteIfExistsAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or IOException or AggregateException)
            {
                // An orphan spool blob has no inbound message, so it is never delivered; the lifecycle rule removes it.
                LogAbortCleanupFailed(spool._logger, blobName, ex);
            }
        }
    }
}
