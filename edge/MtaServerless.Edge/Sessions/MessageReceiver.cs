using System.Buffers;
using System.Diagnostics;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Spool;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Telemetry;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// The body of one transaction, from DATA (dot-stuffed up to CRLF.CRLF) or from BDAT chunks (counted
/// octets): streams the bytes into the spool as they arrive, checks them, then commits. Memory stays at
/// one chunk whatever the message size.
/// </summary>
internal sealed class MessageReceiver(SmtpSession session, ISpoolTransaction transaction, Envelope envelope, SessionInfo sessionInfo) : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly byte[] _chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
    private readonly DateTimeOffset _startedAt = session.TransactionStartedAt;
    private BodyInspector _inspector = new(session.Server.Options.Limits.MaxMessageSize);

    // Only a logged-in user's message has its From: and Sender: read; other mail streams past untouched.
    private readonly SenderFieldsCheck? _senderFields = session.RestrictedAccount is null ? null : new SenderFieldsCheck(session.Senders!);
    private DotUnstuffer _unstuffer;
    private bool _dotFraming;
    private long _chunkRemaining;
    private long _chunkSize;
    private bool _writeFailed;

    /// <summary>True between DATA's 354 (or a BDAT command) and the end of its bytes.</summary>
    public bool AwaitingBytes { get; private set; }

    /// <summary>True once the body is complete: the end of DATA, or the BDAT chunk marked LAST.</summary>
    public bool IsFinal { get; private set; }

    /// <summary>Opens the spool transaction for the session's envelope; null (after logging) when the spool is unavailable.</summary>
    public static async ValueTask<MessageReceiver?> BeginAsync(SmtpSession session, CancellationToken cancellationToken)
    {
        var server = session.Server;
        var receivedAt = server.Time.GetUtcNow();
        ISpoolTransaction transaction;
        try
        {
            transaction = await server.Spool.BeginAsync(receivedAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            EdgeLog.SpoolBeginFailed(server.Logger, session.ConnectionId, ex);
            return null;
        }

        session.BodyDeadline = receivedAt + server.Options.DataTimeout;
        return new MessageReceiver(session, transaction, session.CreateEnvelope(), session.CreateSessionInfo(receivedAt));
    }

    public void ExpectDotData()
    {
        _dotFraming = true;
        AwaitingBytes = true;
        IsFinal = true;
    }

    public void ExpectChunk(long size, bool last)
    {
        _chunkRemaining = _chunkSize = size;
        AwaitingBytes = true;
        IsFinal = last;
    }

    /// <returns>Whether the current DATA or chunk has ended, and how far <paramref name="buffer"/> was consumed.</returns>
    public async ValueTask<(bool Complete, SequencePosition Consumed)> ReceiveAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_dotFraming && _chunkRemaining == 0)
        {
            AwaitingBytes = false;
            return (true, buffer.Start);
        }

        long consumedTotal = 0;
        foreach (var segment in buffer)
        {
            for (var offset = 0; offset < segment.Length;)
            {
                var input = segment.Span.Slice(offset, Math.Min(segment.Length - offset, _chunk.Length));
                var complete = _dotFraming ? Unstuff(input, out var consumed, out var written) : Count(input, out consumed, out written);
                offset += consumed;
                consumedTotal += consumed;
                _inspector.Inspect(_chunk.AsSpan(0, written));
                _senderFields?.Inspect(_chunk.AsSpan(0, written));
                await WriteAsync(written, cancellationToken).ConfigureAwait(false);
                if (complete)
                {
                    AwaitingBytes = false;
                    return (true, buffer.GetPosition(consumedTotal));
                }
            }
        }

        return (false, buffer.End);
    }

    /// <summary>
    /// Called when the current DATA or chunk has ended. A good intermediate chunk is acknowledged; a
    /// refused body or the final one ends the transaction.
    /// </summary>
    /// <returns>The reply, and whether the transaction is over (committed or refused).</returns>
    public async ValueTask<(SmtpReply Reply, bool Ended)> CompleteAsync(CancellationToken cancellationToken)
    {
        if (IsFinal)
        {
            _inspector.Finish();
            _senderFields?.Finish();
        }

        if (_unstuffer.SawBareLineBreak)
        {
            _inspector.FlagBareLineBreak();
        }

        if (!IsFinal && _inspector.Fault == BodyFault.None && !_writeFailed && _senderFields?.Refused is null)
        {
            return (SmtpReplies.ChunkReceived(_chunkSize), false);
        }

        // The message's trace starts here; its id travels in the inbound document to the functions.
        using var activity = EdgeTelemetry.StartTransaction(session, transaction.Id, _startedAt);
        var reply = await EndAsync(activity, cancellationToken).ConfigureAwait(false);
        if (!reply.IsPositive)
        {
            session.Server.Telemetry.Rejected(activity, session, reply);
        }

        return (reply, true);
    }

    /// <summary>A refused body ends the transaction; a good one is committed, and 250 comes only after the commit.</summary>
    private async ValueTask<SmtpReply> EndAsync(Activity? activity, CancellationToken cancellationToken)
    {
        var server = session.Server;
        if (_inspector.Fault != BodyFault.None)
        {
            EdgeLog.MessageRefused(server.Logger, session.ConnectionId, transaction.Id, _inspector.Fault.ToString());
            return SmtpRejections.Reply(Rejection(_inspector.Fault));
        }

        if (_writeFailed)
        {
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        if (_senderFields?.Refused is { } field)
        {
            EdgeLog.SenderRefused(server.Logger, session.ConnectionId, session.AuthUser!, field == HeaderField.From ? "From:" : "Sender:");
            return SmtpRejections.Reply(SmtpRejection.SenderNotAllowed);
        }

        var committing = server.Time.GetTimestamp();
        try
        {
            await transaction.CommitAsync(envelope, sessionInfo, activity?.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever the storage failure, the client keeps responsibility for the message: a 4xx makes it retry.
            EdgeLog.SpoolCommitFailed(server.Logger, session.ConnectionId, transaction.Id, ex);
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        SubmissionPolicy.Record(session, envelope.Recipients.Count);
        EdgeLog.MessageQueued(server.Logger, session.ConnectionId, transaction.Id, envelope.Recipients.Count);
        server.Telemetry.Accepted(activity, session, transaction.Id, envelope.Recipients.Count, _inspector.Size, server.Time.GetElapsedTime(committing));
        return SmtpReplies.Queued(transaction.Id);
    }

    public async ValueTask DisposeAsync()
    {
        ArrayPool<byte>.Shared.Return(_chunk);
        _senderFields?.Dispose();
        await transaction.DisposeAsync().ConfigureAwait(false);
    }

    private static SmtpRejection Rejection(BodyFault fault) => fault switch
    {
        BodyFault.BareLineBreak => SmtpRejection.BareLineBreakInData,
        BodyFault.Nul => SmtpRejection.NulInData,
        BodyFault.LineTooLong => SmtpRejection.TextLineTooLong,
        _ => SmtpRejection.MessageTooBig,
    };

    private bool Unstuff(ReadOnlySpan<byte> input, out int consumed, out int written) =>
        _unstuffer.Process(input, _chunk, out consumed, out written);

    private bool Count(ReadOnlySpan<byte> input, out int consumed, out int written)
    {
        var take = (int)Math.Min(input.Length, _chunkRemaining);
        input[..take].CopyTo(_chunk);
        _chunkRemaining -= take;
        consumed = written = take;
        return _chunkRemaining == 0;
    }

    private async ValueTask WriteAsync(int count, CancellationToken cancellationToken)
    {
        // After a refusal is certain, the rest of the message is read only to find its end.
        if (count == 0 || _writeFailed || _inspector.Fault != BodyFault.None || _unstuffer.SawBareLineBreak)
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
