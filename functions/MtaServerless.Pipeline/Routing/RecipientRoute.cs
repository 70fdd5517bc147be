using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;

namespace MtaServerless.Pipeline.Routing;

/// <summary>
/// What the routes table says about one recipient: the route to deliver by, or the failure that bounces
/// it. Ingest decides with it at arrival and Deliver again at every attempt, so that both agree.
/// </summary>
public readonly record struct RecipientRoute(Route? Route, DeliveryOutcome? Failure)
{
    public static RecipientRoute Resolve(RouteTable table, MailboxAddress recipient)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.Resolve(recipient.Domain) switch
        {
            null => new RecipientRoute(null, LocalOutcomes.NoRoute),
            { Action: RouteAction.Reject } reject => new RecipientRoute(null, LocalOutcomes.RejectedByRoute(reject.RejectText)),
            var route => new RecipientRoute(route, null),
        };
    }

    /// <summary>Recipients share a next hop (one task, one transaction) when they share a route, and for MX routes also the domain whose MX is looked up.</summary>
    public static NextHopKey HopOf(Route route, MailboxAddress recipient)
    {
        ArgumentNullException.ThrowIfNull(route);
        return new NextHopKey(route, route.Action == RouteAction.Mx ? recipient.Domain : null);
    }
}

/// <param name="Domain">The recipients' domain for an MX route; null for the others.</param>
public readonly record struct NextHopKey(Route Route, string? Domain);
