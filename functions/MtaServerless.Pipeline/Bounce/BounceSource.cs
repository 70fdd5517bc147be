using MtaServerless.Core.Documents;

namespace MtaServerless.Pipeline.Bounce;

/// <summary>What a DSN needs to know about the original message, from an inbound document or a delivery task.</summary>
/// <param name="Headers">The trace headers this MTA added, so that the returned message shows them.</param>
public sealed record BounceSource(string Id, string Blob, string MailFrom, string Headers, DateTimeOffset ArrivedAt, DsnReturn? Ret, string? EnvId, string? TraceParent)
{
    public static BounceSource From(DeliveryTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(task.Id, task.Blob, task.MailFrom, task.Headers, task.FirstAttemptAt, task.Ret, task.EnvId, task.TraceParent);
    }

    /// <param name="blob">The blob the message's copies are made of (<see cref="DeliveryTask.Blob"/>).</param>
    public static BounceSource From(InboundMessage message, string headers, string blob)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.Id, blob, message.Envelope.MailFrom, headers, message.Session.ReceivedAt, message.Envelope.Ret, message.Envelope.EnvId, message.TraceParent);
    }
}
