using Azure;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;

namespace MtaServerless.Core.Spool;

/// <summary>The spool on Azure Storage: a block blob in <c>spool</c> and a message on <c>inbound</c>.</summary>
public sealed partial class BlobQueueSpool(MtaStorageClients storage, ILogger<BlobQueueSpool> logger) : IMessageSpool
{
    private readonly MtaStorageClients _storage = storage;
    private readonly ILogger _logger = logger;

    /// <summary>Block size for streaming DATA: memory per session stays bounded by this, whatever the message size.</summary>
    public const int BlockSize = 1024 * 1024;

    public async ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var id = MessageId.New();
        var blobName = StorageNames.SpoolBlobName(id, receivedAt);
        var blob = _storage.Spool.GetBlockBlobClient(blobName);
        try
        {
            var body = await blob.OpenWriteAsync(
                overwrite: true,
                new BlockBlobOpenWriteOptions
                {
                    BufferSize = BlockSize,
                    HttpHeaders = new BlobHttpHeaders { ContentType = "message/rfc822" },
                },
                cancellationToken).ConfigureAwait(false);
            return new Transaction(this, id, blobName, blob, body);
        }
        catch (Exception ex) when (ex is RequestFailedException or IOException or TaskCanceledException)
        {
            throw new SpoolWriteException($"Could not start spool blob {blobName}.", ex);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Could not remove spool blob {Blob} of an aborted transaction")]
    private static partial void LogAbortCleanupFailed(ILogger logger, string blob, Exception exception);

    private sealed class Transaction(BlobQueueSpool spool, string id, string blobName, BlockBlobClient blob, Stream body) : ISpoolTransaction
    {
        private bool _committed;
        private bool _bodyClosed;

        public string Id => id;

        public string BlobName => blobName;

        public Stream Body => body;

        public async Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken)
        {
            var document = new InboundMessage(id, blobName, envelope, session, traceParent);
            var json = QueueDocuments.Serialize(document);
            try
            {
                // Disposing the write stream uploads the last block and commits the block list.
                _bodyClosed = true;
                await body.DisposeAsync().ConfigureAwait(false);
                await spool._storage.Inbound.SendMessageAsync(json, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or IOException or OperationCanceledException or AggregateException)
            {
                throw new SpoolWriteException($"Could not spool message {id}.", ex);
            }

            _committed = true;
            return document;
        }

        public async ValueTask DisposeAsync()
        {
            if (_committed)
            {
                return;
            }

            try
            {
                if (!_bodyClosed)
                {
                    // Closing an unfinished write stream would commit it; the blob is deleted right after, which is the abort.
                    _bodyClosed = true;
                    await body.DisposeAsync().ConfigureAwait(false);
                }

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
