using MtaServerless.Core.Routing;

namespace MtaServerless.Pipeline;

/// <summary>
/// The replies the stages give on their own behalf, where no next hop said anything: stored as a
/// recipient's last reply, reported in DSNs. One place, so that each has one code and one wording.
/// </summary>
public static class PipelineReplies
{
    public const string BadAddress = "550 5.1.3 Bad recipient address syntax";

    public const string RoutingLoop = "554 5.4.6 Routing loop detected: too many Received headers";

    /// <summary>The code of <see cref="NoRoute"/> and <see cref="Rejected"/>.</summary>
    public const int RouteFailureCode = 550;

    public const string NoRoute = "550 5.1.2 No route to the recipient's domain";

    /// <summary>A hop this run did not start because its lease would have ended first, or its host was stopping.</summary>
    public const int PostponedCode = 451;

    public const string Postponed = "451 4.3.0 Delivery postponed to the next attempt";

    /// <summary>Given by a sweeper's task past the maximum lifetime: the recipient bounces without another attempt.</summary>
    public const int ExpiredCode = 451;

    public const string Expired = "451 4.4.7 Delivery time expired";

    public static string Rejected(Route route)
    {
        ArgumentNullException.ThrowIfNull(route);
        return $"550 5.7.1 {route.RejectText ?? "Recipient rejected"}";
    }
}
