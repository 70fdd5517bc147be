using System.Buffers;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// The DATA phase of one transaction: unstuffs bytes as they arrive and streams them into the spool,
/// then commits. Memory stays at one chunk whatever the message size.
/// </summary>
internal sealed class DataReceiver(SmtpSession session, ISpoolTransaction transaction, Envelope envelope, SessionInfo sessionInfo) : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private DotUnstuffer _unstuffer;
    private bool _writeFailed;

    /// <returns>Whether the end of data was seen, and how far <paramref name="buffer"/> was consumed.</returns>
    public async ValueTask<(bool Complete, SequencePosition Consumed)> ReceiveAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        long consumedTotal = 0;
        foreach (var segment in buffer)
        {
            for (var offset = 0; offset < segment.Length;)
            {
                var input = segment.Slice(offset, Math.Min(segment.Length - offset, _chunk.Length));
                var complete = _unstuffer.Process(input.Span, _chunk, out var consumed, out var written);
                offset += consumed;
                consumedTotal += consumed;
                await WriteAsync(written, cancellationToken).ConfigureAwait(false);
                if (complete)
                {
                    return (true, buffer.GetPosition(consumedTotal));
                }
            }
        }

        return (false, buffer.End);
    }

    /// <summary>Called after the end of data: 250 only once the spool has committed.</summary>
    public async ValueTask<SmtpReply> CompleteAsync(CancellationToken cancellationToken)
    {
        var logger = session.Server.Logger;
        if (_unstuffer.SawBareLineBreak)
        {
            EdgeLog.BareLineBreakInData(logger, session.ConnectionId, transaction.Id);
            return SmtpRejections.Reply(SmtpRejection.BareLineBreakInData);
        }

        if (_writeFailed)
        {
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        try
        {
            await transaction.CommitAsync(envelope, sessionInfo, traceParent: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the storage failure, the client keeps responsibility for the message: a 4xx makes it retry.
            EdgeLog.SpoolCommitFailed(logger, session.ConnectionId, transaction.Id, ex);
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        EdgeLog.MessageQueued(logger, session.ConnectionId, transaction.Id, envelope.Recipients.Count);
        return SmtpReplies.Queued(transaction.Id);
    }

    public async ValueTask DisposeAsync()
    {
        ArrayPool<byte>.Shared.Return(_chunk);
        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask WriteAsync(int count, CancellationToken cancellationToken)
    {
        // After a refusal is certain, the rest of the message is read only to find its end.
        if (count == 0 || _writeFailed || _unstuffer.SawBareLineBreak)
        {
            return;
        }

        try
        {
            await transaction.Body.WriteAsync(_chunk.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            EdgeLog.SpoolWriteFailed(session.Server.Logger, session.ConnectionId, transaction.Id, ex);
            _writeFailed = true;
        }
    }
}
