using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// A received message after its checks: the copy read for them, with our <c>Authentication-Results:</c> field (and our
/// ARC set, if any) in front of the trace headers and our forged fields left out, which the first delivery attempt sends
/// instead of reading the blob again. It owns that copy.
/// </summary>
/// <param name="Blob">The spool blob the delivery tasks make their copies of: the edge's, or Ingest's copy without the forged fields.</param>
/// <param name="ArcSeal">Whether an ARC set went in front of our field, and why not.</param>
public sealed record AuthenticatedMessage(StoredMessage Stored, string Blob, InboundAuthentication Results, ArcSealStatus ArcSeal) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stored.DisposeAsync();
}
