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

    public IList<EdgeListenerOptions> Listeners { get; } = [];
}

public sealed class EdgeListenerOptions
{
    /// <summary>Recorded in the session of every message; later it selects the listener's policy (MX, submission, implicit TLS).</summary>
    public string Name { get; set; } = "smtp";

    public string Address { get; set; } = IPAddress.Loopback.ToString();

    /// <summary>0 binds an ephemeral port; <see cref="SmtpEdgeService.BoundEndpoints"/> tells which.</summary>
    public int Port { get; set; } = 25;
}
