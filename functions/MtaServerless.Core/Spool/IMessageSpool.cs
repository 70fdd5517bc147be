using MtaServerless.Core.Documents;

namespace MtaServerless.Core.Spool;

/// <summary>
/// Where accepted messages go: the body as a blob, then the <c>inbound</c> document. The edge and
/// the bounce generator both inject mail through it.
/// </summary>
public interface IMessageSpool
{
    ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken);
}

/// <summary>
/// One message on its way into the spool. Write the body to <see cref="Body"/>, then
/// <see cref="CommitAsync"/>; disposing without a successful commit removes what was written.
/// </summary>
public interface ISpoolTransaction : IAsyncDisposable
{
    string Id { get; }

    string BlobName { get; }

    /// <summary>Raw message bytes (CRLF, dot-unstuffed), streamed to storage in blocks as they are written.</summary>
    Stream Body { get; }

    /// <summary>Makes the message durable: commits the blob, then enqueues the inbound document.</summary>
    /// <exception cref="SpoolWriteException">Either write failed; the caller must not report success.</exception>
    Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken);
}

public sealed class SpoolWriteException(string message, Exception innerException) : IOException(message, innerException);
