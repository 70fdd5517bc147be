using System.Net;

namespace MtaServerless.Edge;

/// <summary>The <c>Edge</c> configuration section.</summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    /// <summary>The name in the greeting, the EHLO reply and the <c>Received:</c> header.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Idle limit for every read and write; RFC 5321 4.5.3.2 asks for at least 5 minutes.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one DATA or BDAT transfer may take in total, however busy the client keeps it.</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public IList<EdgeListenerOptions> Listeners { get; } = [];

    public EdgeTlsOptions Tls { get; set; } = new();

    public EdgeLimitOptions Limits { get; set; } = new();

    /// <summary>Client networks (CIDR, e.g. <c>10.0.0.0/8</c>) that may relay without AUTH.</summary>
    public IList<string> TrustedNetworks { get; } = [];

    /// <summary>
    /// The networks (CIDR) of the TCP proxies in front of <see cref="EdgeListenerOptions.ProxyProtocol"/> listeners:
    /// only a peer in them may say who the client is; any other is closed unanswered.
    /// </summary>
    public IList<string> ProxyNetworks { get; } = [];

    /// <summary>
    /// Where mail for postmaster goes (RFC 5321 4.5.1) when no users row says otherwise: the bare <c>&lt;Postmaster&gt;</c>,
    /// and <c>postmaster@</c> every mailbox domain that has no mailbox of that name. Without it, the bare form is
    /// <c>postmaster@</c><see cref="HostName"/> and a mailbox domain's postmaster gets a mailbox of its own.
    /// </summary>
    public string? PostmasterAddress { get; set; }

    /// <summary>How stale routes and users may be; edits apply within this time without a restart.</summary>
    public TimeSpan DirectoryCacheTtl { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>What a listener is for; it decides TLS, AUTH and relay rules.</summary>
public enum ListenerRole
{
    /// <summary>Port 25: mail for domains whose route accepts inbound; relay only for trusted or authenticated clients.</summary>
    Mx,

    /// <summary>Port 587: STARTTLS, then AUTH before MAIL.</summary>
    Submission,

    /// <summary>Port 465: implicit TLS (RFC 8314), AUTH before MAIL.</summary>
    Submissions,
}

public sealed class EdgeListenerOptions
{
    /// <summary>Recorded in the session of every message.</summary>
    public string Name { get; set; } = "smtp";

    public string Address { get; set; } = IPAddress.Loopback.ToString();

    /// <summary>0 binds an ephemeral port; <see cref="SmtpEdgeService.BoundEndpoints"/> tells which.</summary>
    public int Port { get; set; } = 25;

    public ListenerRole Role { get; set; } = ListenerRole.Mx;

    /// <summary>
    /// Every connection starts with a PROXY protocol v2 header from the TCP proxy in front, whose source
    /// address then stands for the client (relay policy, limits, Received). The header is believed only
    /// from a peer in <see cref="EdgeOptions.ProxyNetworks"/>.
    /// </summary>
    public bool ProxyProtocol { get; set; }
}

/// <summary>The server certificate: PEM files (certificate chain and key) or a PFX. Reloaded when the files change.</summary>
public sealed class EdgeTlsOptions
{
    public string? CertificatePath { get; set; }

    public string? KeyPath { get; set; }

    public string? PfxPath { get; set; }

    public string? PfxPassword { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(PfxPath);
}

/// <summary>Limits with safe defaults; every one can be lowered.</summary>
public sealed class EdgeLimitOptions
{
    public long MaxMessageSize { get; set; } = 35 * 1024 * 1024;

    public int MaxRecipients { get; set; } = 100;

    /// <summary>Refused commands a session may collect before it is closed with 421.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Failed AUTH attempts a session may make before it is closed with 421.</summary>
    public int MaxAuthFailures { get; set; } = 3;

    /// <summary>How long a failed AUTH waits before its 535, to slow password guessing.</summary>
    public TimeSpan AuthFailureDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed logins from one client address (an IPv6 /64) within <see cref="AuthFailureWindow"/>, over all its connections, before its AUTH gets 421.</summary>
    public int MaxAuthFailuresPerAddress { get; set; } = 10;

    /// <summary>Failed logins to one account within <see cref="AuthFailureWindow"/>, from any address, before its logins get 454.</summary>
    public int MaxAuthFailuresPerAccount { get; set; } = 30;

    /// <summary>How long a failed login counts against its address and its account.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Messages a logged-in user may submit per rolling hour through one edge, unless the user's row says otherwise; 0: no limit.</summary>
    public int MessagesPerHour { get; set; } = 200;

    /// <summary>Recipients a logged-in user may submit to per rolling day through one edge, unless the user's row says otherwise; 0: no limit.</summary>
    public int RecipientsPerDay { get; set; } = 2000;

    public int MaxConnections { get; set; } = 1000;

    public int MaxConnectionsPerAddress { get; set; } = 20;

    /// <summary>How long open sessions get on shutdown to finish the transaction in progress.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(30);
}
