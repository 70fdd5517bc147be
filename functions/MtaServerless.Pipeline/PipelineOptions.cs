namespace MtaServerless.Pipeline;

/// <summary>Settings of the pipeline stages, bound from the <c>Pipeline</c> configuration section (app settings <c>Pipeline__*</c> in Azure).</summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>The name this MTA gives in <c>EHLO</c> to next hops and in the <c>by</c> clause of <c>Received:</c> when the edge gave none.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Comma-separated delays before each retry (TimeSpan format); the last one repeats. Default about 1m, 5m, 15m, 30m, 1h, 2h, then every 4h.</summary>
    public string Backoff { get; set; } = "00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,02:00:00,04:00:00";

    /// <summary>Each retry delay is moved by up to this fraction either way, so that a burst of deferrals does not retry in lock-step.</summary>
    public double BackoffJitter { get; set; } = 0.1;

    /// <summary>How long a recipient may stay deferred before it fails (Postfix's maximal_queue_lifetime).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(5);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per SMTP command; MailKit applies it to every read and write.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan RouteCacheTtl { get; set; } = TimeSpan.FromSeconds(30);
}
