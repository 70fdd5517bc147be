using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MimeKit;
using MimeKit.IO;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// What a next hop receives: our trace headers, then the spooled bytes exactly as the edge stored them.
/// The blob is copied once to a local temporary file, so a run reads it once whatever it does with it
/// (relay, mailbox copy, DSN), and nothing of it is held in memory. The stored bytes are never rewritten;
/// only a conversion for a hop without 8BITMIME makes a new copy, and Ingest leaves forged
/// <c>Authentication-Results</c> fields out of its copy (and saves that as a blob of its own).
/// </summary>
public sealed class StoredMessage : IAsyncDisposable
{
    private const int BufferSize = 81920;

    private FileStream _file;
    private byte[] _traceHeaders;
    /// <summary>The parsed message reads its content from the source as long as the message is used.</summary>
    private (ChainedStream Source, MimeMessage Message)? _parsed;

    private StoredMessage(FileStream file, string traceHeaders, MessageShape shape)
    {
        _file = file;
        TraceHeaders = traceHeaders;
        _traceHeaders = Encoding.UTF8.GetBytes(traceHeaders);
        Shape = shape;
    }

    /// <summary>Our header fields, CRLF-terminated, that go in front of the stored bytes.</summary>
    public string TraceHeaders { get; private set; }

    public MessageShape Shape { get; private set; }

    /// <summary>The octets on the wire: trace headers and stored bytes.</summary>
    public long Length => _traceHeaders.Length + _file.Length;

    public static async Task<StoredMessage> DownloadAsync(MtaStorageClients storage, string blob, string traceHeaders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(traceHeaders);
        var file = CreateTemporaryFile();
        try
        {
            await storage.Spool.GetBlobClient(blob).DownloadToAsync(file, cancellationToken).ConfigureAwait(false);
            return await OpenAsync(file, traceHeaders, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Leaves ranges of the stored bytes out of this copy from now on; a parse made before is dropped.</summary>
    /// <param name="removed">Ranges of the stored bytes as downloaded, in order, not overlapping.</param>
    public async Task LeaveOutAsync(IReadOnlyList<ByteRange> removed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(removed);
        if (removed.Count == 0)
        {
            return;
        }

        await DropParsedAsync().ConfigureAwait(false);
        _file = await CopyWithoutAsync(_file, removed, cancellationToken).ConfigureAwait(false);
        Shape = await ScanAsync(_file, TraceHeaders, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the stored bytes as this copy now has them to a new blob, once: a blob already there (an earlier run's,
    /// made of the same bytes) stays as it is, so that no reader of it ever sees it change.
    /// </summary>
    public async Task SaveStoredAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            await blob.UploadAsync(OpenStored(), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // BlobAlreadyExists: written by an earlier run of the same message.
        }
    }

    /// <summary>
    /// Puts header fields made from the message itself (its DKIM signatures) in front of the trace headers, before
    /// anything is sent. They are ASCII, so the message's <see cref="Shape"/> stays; a parse made before them is dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The fields are not ASCII.</exception>
    public async Task PrependAsync(string fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (!System.Text.Ascii.IsValid(fields))
        {
            throw new ArgumentException("Header fields we make are ASCII.", nameof(fields));
        }

        await DropParsedAsync().ConfigureAwait(false);
        TraceHeaders = fields + TraceHeaders;
        _traceHeaders = Encoding.UTF8.GetBytes(TraceHeaders);
    }

    /// <summary>The stored bytes alone, from the start.</summary>
    public Stream OpenStored()
    {
        _file.Position = 0;
        return _file;
    }

    /// <summary>Writes the trace headers and the stored bytes, unchanged.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await destination.WriteAsync(_traceHeaders, cancellationToken).ConfigureAwait(false);
        await OpenStored().CopyToAsync(destination, BufferSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The whole message parsed (trace headers included), once, for DSNs and conversions; its content stays in the file.</summary>
    public async Task<MimeMessage> LoadAsync(CancellationToken cancellationToken)
    {
        if (_parsed is null)
        {
            var source = new ChainedStream();
            source.Add(new MemoryStream(_traceHeaders, writable: false));
            source.Add(OpenStored(), leaveOpen: true);
            _parsed = (source, await MimeMessage.LoadAsync(source, persistent: true, cancellationToken).ConfigureAwait(false));
        }

        return _parsed.Value.Message;
    }

    /// <summary>
    /// RFC 6152 3: the message for a hop without 8BITMIME, every 8-bit MIME part re-encoded as
    /// quoted-printable or base64 by MimeKit, the rest as it was. Header fields are not converted: the
    /// caller refuses a message whose header section is 8-bit.
    /// </summary>
    public async Task<StoredMessage> ToSevenBitAsync(CancellationToken cancellationToken)
    {
        var message = await LoadAsync(cancellationToken).ConfigureAwait(false);
        message.Prepare(EncodingConstraint.SevenBit, maxLineLength: 998);
        var file = CreateTemporaryFile();
        try
        {
            await message.WriteToAsync(WireFormat.Options, file, cancellationToken).ConfigureAwait(false);
            return await OpenAsync(file, string.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DropParsedAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DropParsedAsync()
    {
        if (_parsed is { } parsed)
        {
            _parsed = null;
            parsed.Message.Dispose();
            await parsed.Source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<StoredMessage> OpenAsync(FileStream file, string traceHeaders, CancellationToken cancellationToken) =>
        new(file, traceHeaders, await ScanAsync(file, traceHeaders, cancellationToken).ConfigureAwait(false));

    private static async Task<MessageShape> ScanAsync(FileStream file, string traceHeaders, CancellationToken cancellationToken)
    {
        var scanner = new MessageShapeScanner();
        scanner.Scan(Encoding.UTF8.GetBytes(traceHeaders));
        file.Position = 0;
        var buffer = new byte[BufferSize];
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            scanner.Scan(buffer.AsSpan(0, read));
        }

        return scanner.Shape;
    }

    /// <summary>A new temporary copy of <paramref name="source"/> without <paramref name="removed"/>; the source is disposed.</summary>
    private static async Task<FileStream> CopyWithoutAsync(FileStream source, IReadOnlyList<ByteRange> removed, CancellationToken cancellationToken)
    {
        var copy = CreateTemporaryFile();
        try
        {
            var buffer = new byte[BufferSize];
            long position = 0;
            foreach (var range in removed.Append(new ByteRange(source.Length, 0)))
            {
                source.Position = position;
                var remaining = Math.Max(0, Math.Min(range.Start, source.Length) - position);
                while (remaining > 0)
                {
                    var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    await copy.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    remaining -= read;
                }

                position = Math.Max(position, range.End);
            }

            await copy.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await copy.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await source.DisposeAsync().ConfigureAwait(false);
        return copy;
    }

    private static FileStream CreateTemporaryFile() => new(
        Path.Combine(Path.GetTempPath(), $"mta-{Guid.NewGuid():N}.eml"),
        FileMode.CreateNew,
        FileAccess.ReadWrite,
        FileShare.None,
        BufferSize,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous);
}
