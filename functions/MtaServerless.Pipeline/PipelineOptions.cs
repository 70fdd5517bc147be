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

    /// <summary>Per connection to a host: the TCP connection, the greeting, EHLO, STARTTLS and AUTH, together.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many connections to hosts (MX hosts' addresses, a plaintext retry after a failed STARTTLS, a kept
    /// connection tried) one relay makes before it defers; each may take <see cref="ConnectTimeout"/> (Postfix's smtp_mx_address_limit).
    /// </summary>
    public int MaxHostsTried { get; set; } = 5;

    /// <summary>Per SMTP command of the relay: each reply, and each write, must come within it.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The whole transaction, from MAIL to the reply after the final dot (RFC 5321 4.5.3.2 allows 10 minutes for that reply alone).</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the relay waits for the reply to RSET or QUIT once a transaction's outcome is known.</summary>
    public TimeSpan QuitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a delivery run holds its recipients; after it a crashed run's recipients are taken by the next
    /// run of the task. It must hold the longest hop (<see cref="WorstCaseHop"/>) and the writing of its
    /// results (<see cref="RecordingReserve"/>): checked at start.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long an open connection to a next hop waits for the next transaction (Postfix's smtp_connection_cache_time_limit); zero keeps none.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long after it was opened a connection may still take transactions (Postfix's smtp_connection_reuse_time_limit).</summary>
    public TimeSpan ConnectionReuseLimit { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long past its due time (the next attempt, or the end of its lease) a recipient that is not final
    /// waits before the sweeper drives it again: longer than the queue engine takes to give back a task
    /// whose host died (10 minutes in Azure), so that only tasks lost or poisoned are re-driven.
    /// </summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan RouteCacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Comma-separated DNS servers (<c>10.0.0.53</c>, <c>127.0.0.1:5353</c>) for MX lookups; empty for the system's resolvers.</summary>
    public string NameServers { get; set; } = string.Empty;

    /// <summary>Per DNS query; a query that times out is a transient failure.</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A whole MX resolution (the MX query, then its hosts' A and AAAA queries) stops after this many <see cref="DnsTimeout"/>s.</summary>
    public const int DnsTimeoutsPerResolution = 4;

    /// <summary>
    /// The longest one hop (a smarthost, or one domain's MX hosts) can take: resolving, connecting to every
    /// host it may try, the whole transaction, QUIT. Mailbox hops are storage writes, well within it.
    /// </summary>
    public TimeSpan WorstCaseHop => (DnsTimeout * DnsTimeoutsPerResolution) + (ConnectTimeout * MaxHostsTried) + DataTimeout + QuitTimeout;

    /// <summary>The last tenth of a lease, kept for reading the message before the first hop and for writing the results after the last.</summary>
    public TimeSpan RecordingReserve => LeaseDuration / 10;
}
