using System.Collections.Concurrent;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Spool;

namespace MtaServerless.Edge.Tests;

/// <summary>An in-memory spool for session-level tests: records committed messages and aborted transactions.</summary>
internal sealed class RecordingSpool : IMessageSpool
{
    private int _aborted;
    private int _largestWrite;
    private int _writes;

    public ConcurrentQueue<RecordedMessage> Committed { get; } = new();

    public int Aborted => Volatile.Read(ref _aborted);

    public bool FailCommit { get; set; }

    /// <summary>The largest single write to a body: streaming shows as many small writes, never one whole message.</summary>
    public int LargestWrite => Volatile.Read(ref _largestWrite);

    public int Writes => Volatile.Read(ref _writes);

    public ValueTask<ISpoolTransaction> BeginAsync(DateTimeOffset receivedAt, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ISpoolTransaction>(new Transaction(this, MessageId.New()));

    public async Task<int> WaitForAbortedAsync(int count)
    {
        for (var i = 0; i < 100 && Aborted < count; i++)
        {
            await Task.Delay(20);
        }

        return Aborted;
    }

    private sealed class Transaction(RecordingSpool spool, string id) : ISpoolTransaction
    {
        private readonly CountingStream _body = new(spool);
        private bool _committed;

        public string Id => id;

        public string BlobName => $"test/{id}.eml";

        public Stream Body => _body;

        public Task<InboundMessage> CommitAsync(Envelope envelope, SessionInfo session, string? traceParent, CancellationToken cancellationToken)
        {
            if (spool.FailCommit)
            {
                throw new SpoolWriteException($"Could not spool message {id}.", new IOException("The test storage is down."));
            }

            _committed = true;
            spool.Committed.Enqueue(new RecordedMessage(id, envelope, session, _body.ToArray()));
            return Task.FromResult(new InboundMessage(id, BlobName, envelope, session, traceParent));
        }

        public ValueTask DisposeAsync()
        {
            if (!_committed)
            {
                Interlocked.Increment(ref spool._aborted);
            }

            return _body.DisposeAsync();
        }
    }

    private sealed class CountingStream(RecordingSpool spool) : MemoryStream
    {
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref spool._writes);
            int seen;
            while (buffer.Length > (seen = Volatile.Read(ref spool._largestWrite)) && Interlocked.CompareExchange(ref spool._largestWrite, buffer.Length, seen) != seen)
            {
            }

            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}

internal sealed record RecordedMessage(string Id, Envelope Envelope, SessionInfo Session, byte[] Body);
