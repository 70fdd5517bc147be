using System.Text;
using MimeKit;
using MtaServerless.Core.Storage;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// A spooled message copied to a local temporary file, so that MimeKit can parse and seek it
/// without holding it in memory and the blob is read once per run. The trace headers go in front
/// of the stored headers; the stored bytes themselves are never rewritten.
/// </summary>
public sealed class StoredMessage : IAsyncDisposable
{
    private readonly FileStream _file;

    private StoredMessage(FileStream file, string traceHeaders)
    {
        _file = file;
        TraceHeaders = traceHeaders;
    }

    public string TraceHeaders { get; }

    public static async Task<StoredMessage> DownloadAsync(MtaStorageClients storage, string blob, string traceHeaders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var file = new FileStream(
            Path.Combine(Path.GetTempPath(), $"mta-{Guid.NewGuid():N}.eml"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            bufferSize: 81920,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await storage.Spool.GetBlobClient(blob).DownloadToAsync(file, cancellationToken).ConfigureAwait(false);
            return new StoredMessage(file, traceHeaders);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The stored bytes as they were spooled, from the start.</summary>
    public Stream OpenRaw()
    {
        _file.Position = 0;
        return _file;
    }

    /// <summary>The message parsed, with the trace headers on top; its content stays in the file.</summary>
    public async Task<MimeMessage> LoadAsync(CancellationToken cancellationToken)
    {
        var message = await MimeMessage.LoadAsync(OpenRaw(), persistent: true, cancellationToken).ConfigureAwait(false);
        using var source = new MemoryStream(Encoding.UTF8.GetBytes(TraceHeaders + "\r\n"));
        var headers = await HeaderList.LoadAsync(ParserOptions.Default, source, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < headers.Count; i++)
        {
            message.Headers.Insert(i, headers[i]);
        }

        return message;
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
