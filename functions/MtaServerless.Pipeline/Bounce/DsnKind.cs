namespace MtaServerless.Pipeline.Bounce;

/// <summary>The two reports this MTA sends: a final failure, or a warning that delivery is still being retried.</summary>
public enum DsnKind
{
    Failed,
    Delayed,
}
