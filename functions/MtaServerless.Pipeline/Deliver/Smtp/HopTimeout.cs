namespace MtaServerless.Pipeline.Deliver.Smtp;

internal static class HopTimeout
{
    /// <summary>A token that ends when the step's time is up or the host stops, whichever comes first.</summary>
    public static CancellationTokenSource Within(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }
}
