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

    public const string Sweeper = "Sweeper";

    /// <summary>
    /// NCRONTAB (with seconds) of <see cref="Sweeper"/>: every 5 minutes, a small part of the time a recipient
    /// waits overdue before it is re-driven (Pipeline:SweepAfter), and one index query when nothing is due.
    /// </summary>
    public const string SweeperSchedule = "30 */5 * * * *";
}
