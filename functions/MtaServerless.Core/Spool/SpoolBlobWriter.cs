using System.Buffers;
using System.Globalization;
using System.Text;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using MtaServerless.Core.Mail;

namespace MtaServerless.Core.Spool;

/// <summary>
/// Streams a message into a block blob in blocks of a fixed size. A message that fits in one block
/// costs one Put Blob; a larger one is staged block by block and committed with Put Block List.
/// Nothing is visible before <see cref="CommitAsync"/>: uncommitted blocks expire by themselves.
/// </summary>
internal sealed class SpoolBlobWriter : Stream
{
    private static readonly BlobHttpHeaders Headers = new() { ContentType = "message/rfc822" };
    /// <summary>Most messages are a few KiB: the buffer starts small and doubles up to the block size.</summary>
    private const int InitialBufferSize = 16 * 1024;

    private readonly BlockBlobClient _blob;
    private readonly int _blockSize;
    private readonly List<string> _blockIds = [];
    private byte[]? _buffer;
    private int _filled;
    private long _length;
    private HeaderSectionSummary _header;

    public SpoolBlobWriter(BlockBlobClient blob, int blockSize)
    {
        _blob = blob;
        _blockSize = blockSize;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBufferSize, blockSize));
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    /// <summary>What the header section written so far holds: its trace fields, a Message-ID, a Date.</summary>
    public HeaderSectionSummary Header => _header;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _header.Inspect(buffer.Span);
        while (!buffer.IsEmpty)
        {
            var block = Buffer;
            var room = Math.Min(block.Length, _blockSize) - _filled;
            var take = Math.Min(buffer.Length, room);
            buffer[..take].CopyTo(block.AsMemory(_filled));
            _filled += take;
            _length += take;
            buffer = buffer[take..];
            if (_filled < Math.Min(block.Length, _blockSize))
            {
                continue;
            }

            if (block.Length < _blockSize)
            {
                Grow(block);
            }
            else
            {
                await StageAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Makes the blob exist with everything written so far.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (_blockIds.Count == 0)
        {
            using var content = new MemoryStream(Buffer, 0, _filled, writable: false);
            await _blob.UploadAsync(content, new BlobUploadOptions { HttpHeaders = Headers }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_filled > 0)
        {
            await StageAsync(cancellationToken).ConfigureAwait(false);
        }

        await _blob.CommitBlockListAsync(_blockIds, new CommitBlockListOptions { HttpHeaders = Headers }, cancellationToken).ConfigureAwait(false);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("The spool is written asynchronously.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_buffer is { } rented)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(rented);
        }

        base.Dispose(disposing);
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(SpoolBlobWriter));

    private void Grow(byte[] full)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(full.Length * 2, _blockSize));
        full.AsSpan(0, _filled).CopyTo(larger);
        _buffer = larger;
        ArrayPool<byte>.Shared.Return(full);
    }

    private async Task StageAsync(CancellationToken cancellationToken)
    {
        // Block ids must all have the same length within a blob.
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(_blockIds.Count.ToString("D8", CultureInfo.InvariantCulture)));
        using (var content = new MemoryStream(Buffer, 0, _filled, writable: false))
        {
            await _blob.StageBlockAsync(id, content, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        _blockIds.Add(id);
        _filled = 0;
    }
}
