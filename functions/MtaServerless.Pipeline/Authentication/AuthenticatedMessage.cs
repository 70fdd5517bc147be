using MtaServerless.Core.Documents;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// A received message after its checks: the copy read for them, with our <c>Authentication-Results:</c> field (and our
/// ARC set, if any) in front of the trace headers and our forged fields left out, which the first delivery attempt sends
/// instead of reading the blob again. It owns that copy.
/// </summary>
/// <param name="Removed">The ranges of the blob left out, for the delivery tasks; null when none.</param>
/// <param name="ArcSeal">Whether an ARC set went in front of our field, and why not.</param>
public sealed record AuthenticatedMessage(StoredMessage Stored, InboundAuthentication Results, IReadOnlyList<ByteRange>? Removed, ArcSealStatus ArcSeal) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Stored.DisposeAsync();
}
