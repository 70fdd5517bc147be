using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using MimeKit;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>Counts the <c>Received:</c> headers of a spooled message, reading only its header block.</summary>
public static class TraceHeaderCounter
{
    /// <summary>Enough for the header block of nearly every message; the parser reads on only for the rare longer one.</summary>
    private const int ReadBuffer = 64 * 1024;

    public static async Task<int> CountReceivedAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = ReadBuffer }, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken).ConfigureAwait(false);
            return headers.Count(h => h.Id == HeaderId.Received);
        }
    }
}
