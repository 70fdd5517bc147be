namespace MtaServerless.Benchmarks;

/// <summary>
/// The lines the driver and the MTA host process exchange: the host's standard input takes commands, and its
/// standard output carries the replies among whatever the host logs, told apart by their prefix.
/// </summary>
internal static class HostProtocol
{
    /// <summary>The first argument that makes this assembly the MTA host instead of the driver.</summary>
    public const string Argument = "host";

    /// <summary>Followed by the edge's port, once the edge listens and the queue listeners run.</summary>
    public const string Ready = "bench-host: ready ";

    /// <summary>Followed by a <see cref="HostReport"/> as JSON: the reply to either command.</summary>
    public const string Report = "bench-host: report ";

    /// <summary>Starts a measurement: counters to zero, the CPU time's origin to now, the peak working set to the current one.</summary>
    public const string ResetCommand = "reset";

    public const string ReportCommand = "report";
}

/// <summary>What the MTA process measured of itself since the last reset.</summary>
/// <param name="Ours">Requests of the MTA's own storage clients (edge, Ingest, Deliver), by operation.</param>
/// <param name="Engine">Requests of the queue engine's clients (receives, deletes, empty polls): the Functions host's in Azure.</param>
internal sealed record HostReport(
    double CpuSeconds,
    long WorkingSet,
    long PeakWorkingSet,
    Dictionary<string, long> Ours,
    Dictionary<string, long> Engine);
