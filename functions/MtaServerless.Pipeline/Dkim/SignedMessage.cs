using MtaServerless.Core.Documents;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// What Ingest sends in front of the stored bytes, signatures included, and the message as read for signing, which the
/// first delivery attempt then sends instead of reading the blob again. It owns that copy.
/// </summary>
/// <param name="Headers">The DKIM signatures (if any), then the trace headers.</param>
/// <param name="Stored">The message downloaded to sign it, with <paramref name="Headers"/> in front; null when it was not read.</param>
public sealed record SignedMessage(string Headers, DkimStatus Status, StoredMessage? Stored) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        if (Stored is not null)
        {
            await Stored.DisposeAsync().ConfigureAwait(false);
        }
    }
}
