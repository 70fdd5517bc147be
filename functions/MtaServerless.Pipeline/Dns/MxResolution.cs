using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Dns;

/// <summary>The hosts to try for a domain, in order, or why there are none (an SMTP reply that becomes each recipient's outcome).</summary>
public sealed record MxResolution(IReadOnlyList<NextHop> Hosts, int FailureCode = 0, string? FailureReply = null)
{
    public bool Succeeded => FailureReply is null;

    public static MxResolution Failed(int code, string reply) => new([], code, reply);
}
