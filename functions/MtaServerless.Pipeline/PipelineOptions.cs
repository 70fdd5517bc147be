namespace MtaServerless.Pipeline;

/// <summary>Settings of the pipeline stages, bound from the <c>Pipeline</c> configuration section (app settings <c>Pipeline__*</c> in Azure).</summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>The name this MTA gives in <c>EHLO</c> to next hops, as Reporting-MTA in DSNs, and in the <c>by</c> clause of <c>Received:</c> when the edge gave none.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Comma-separated delays before each retry (TimeSpan format); the last one repeats. Default about 1m, 5m, 15m, 30m, 1h, 2h, then every 4h.</summary>
    public string Backoff { get; set; } = "00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,02:00:00,04:00:00";

    /// <summary>Each retry delay is moved by up to this fraction either way, so that a burst of deferrals does not retry in lock-step.</summary>
    public double BackoffJitter { get; set; } = 0.1;

    /// <summary>How long a recipient may stay deferred before it fails (Postfix's maximal_queue_lifetime).</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>When set, a recipient still deferred this long after arrival gets one delay-warning DSN (Postfix's delay_warning_time); off by default.</summary>
    public TimeSpan? DelayWarningAfter { get; set; }

    /// <summary>A failure DSN returns the whole message up to this many octets (Postfix's bounce_size_limit); a larger one, its headers only.</summary>
    public long DsnMaxReturnedSize { get; set; } = 50_000;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per SMTP command of the relay: each reply, and each write, must come within it.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The whole DATA phase, from the DATA command to the reply after the final dot (RFC 5321 4.5.3.2 allows 10 minutes for the reply alone).</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a delivery run holds its recipients. It must outlast a run (connect, every command and DATA);
    /// after it a crashed run's recipients are taken by the next run of the task.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an open connection to a next hop waits for the next transaction (Postfix's smtp_connection_cache_time_limit); zero keeps none.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long after it was opened a connection may still take transactions (Postfix's smtp_connection_reuse_time_limit).</summary>
    public TimeSpan ConnectionReuseLimit { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan RouteCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Comma-separated DNS servers (<c>10.0.0.53</c>, <c>127.0.0.1:5353</c>) for MX lookups; empty for the system's resolvers.</summary>
    public string NameServers { get; set; } = string.Empty;

    /// <summary>Per DNS query; a query that times out is a transient failure.</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
