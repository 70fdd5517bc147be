namespace MtaServerless.Functions;

/// <summary>Function names as Azure shows them; the local runner registers its triggers under the same names.</summary>
public static class FunctionNames
{
    public const string Ingest = "Ingest";
    public const string Deliver = "Deliver";
    public const string QueueMetrics = "QueueMetrics";

    /// <summary>
    /// NCRONTAB (with seconds) of <see cref="QueueMetrics"/>: every 5 minutes, as often as telemetry.json
    /// asks for the queue gauges, and rarely enough that an idle app is not kept awake.
    /// </summary>
    public const string QueueMetricsSchedule = "0 */5 * * * *";
}
