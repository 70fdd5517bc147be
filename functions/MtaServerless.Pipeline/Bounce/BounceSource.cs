using MtaServerless.Core.Documents;

namespace MtaServerless.Pipeline.Bounce;

/// <summary>What a DSN needs to know about the original message, from an inbound document or a delivery task.</summary>
/// <param name="Headers">The trace headers this MTA added, so that the returned message shows them.</param>
/// <param name="Removed">Ranges of the stored message that the returned message leaves out, as every copy does.</param>
public sealed record BounceSource(string Id, string Blob, string MailFrom, string Headers, DateTimeOffset ArrivedAt, DsnReturn? Ret, string? EnvId, string? TraceParent, IReadOnlyList<ByteRange>? Removed)
{
    public static BounceSource From(DeliveryTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(task.Id, task.Blob, task.MailFrom, task.Headers, task.FirstAttemptAt, task.Ret, task.EnvId, task.TraceParent, task.Removed);
    }

    public static BounceSource From(InboundMessage message, string headers, IReadOnlyList<ByteRange>? removed)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(message.Id, message.Blob, message.Envelope.MailFrom, headers, message.Session.ReceivedAt, message.Envelope.Ret, message.Envelope.EnvId, message.TraceParent, removed);
    }
}
