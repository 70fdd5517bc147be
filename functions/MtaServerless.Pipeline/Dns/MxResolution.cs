using MtaServerless.Core.Deliveries;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Dns;

/// <summary>The hosts to try for a domain, in order, or why there are none (the outcome of each of its recipients).</summary>
public sealed record MxResolution(IReadOnlyList<NextHop> Hosts, DeliveryOutcome? Failure = null)
{
    public static MxResolution Failed(DeliveryOutcome failure) => new([], failure);
}
