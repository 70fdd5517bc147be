using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Storage;
using MtaServerless.Edge.Sessions;
using MtaServerless.Telemetry;
using OpenTelemetry;

namespace MtaServerless.Edge;

public static class EdgeServiceCollectionExtensions
{
    /// <summary>The edge's cloud role name when <c>OTEL_SERVICE_NAME</c> does not give one (Bicep sets it to the same, from telemetry.json).</summary>
    public const string TelemetryRoleName = "mta-edge";

    /// <summary>
    /// Registers the SMTP edge from the <c>Edge</c> section and the storage it spools to. The edge service
    /// is also registered as itself, so a host can read <see cref="SmtpEdgeService.BoundEndpoints"/>.
    /// </summary>
    public static IServiceCollection AddMtaEdge(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLogging();
        services.AddOptions<EdgeOptions>()
            .Bind(configuration.GetSection(EdgeOptions.SectionName))
            .Validate(o => o.Listeners.Count > 0, "Edge:Listeners needs at least one listener.")
            .Validate(o => o.Listeners.All(l => IPAddress.TryParse(l.Address, out _)), "Every Edge:Listeners address must be an IP address.")
            .Validate(o => o.Listeners.All(l => l.Port is >= IPEndPoint.MinPort and <= IPEndPoint.MaxPort), "Every Edge:Listeners port must be 0-65535.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.HostName), "Edge:HostName must not be empty.")
            .Validate(o => o.PostmasterAddress is null || Postmaster.TryParseAddress(o.PostmasterAddress, out _), "Edge:PostmasterAddress must be an ASCII mail address such as hostmaster@example.com.")
            .Validate(o => o.CommandTimeout > TimeSpan.Zero, "Edge:CommandTimeout must be positive.")
            .Validate(o => o.DataTimeout > TimeSpan.Zero, "Edge:DataTimeout must be positive.")
            .Validate(o => o.Tls.IsConfigured || o.Listeners.All(l => l.Role != ListenerRole.Submissions), "A submissions listener (implicit TLS) needs Edge:Tls.")
            .Validate(o => string.IsNullOrWhiteSpace(o.Tls.CertificatePath) || !string.IsNullOrWhiteSpace(o.Tls.KeyPath), "Edge:Tls:CertificatePath needs Edge:Tls:KeyPath.")
            .Validate(o => o.TrustedNetworks.All(n => IPNetwork.TryParse(n, out _)), "Every Edge:TrustedNetworks entry must be a CIDR network such as 10.0.0.0/8.")
            .Validate(o => o.ProxyNetworks.All(n => IPNetwork.TryParse(n, out _)), "Every Edge:ProxyNetworks entry must be a CIDR network such as 10.0.0.0/8.")
            .Validate(o => o.ProxyNetworks.Count > 0 || o.Listeners.All(l => !l.ProxyProtocol), "A listener with ProxyProtocol needs Edge:ProxyNetworks, the networks its proxies connect from.")
            .Validate(o => o.Limits.MaxMessageSize > 0 && o.Limits.MaxRecipients > 0 && o.Limits.MaxErrors > 0 && o.Limits.MaxAuthFailures > 0, "Edge:Limits must be positive.")
            .Validate(o => o.Limits.MaxConnections > 0 && o.Limits.MaxConnectionsPerAddress > 0, "Edge:Limits connection counts must be positive.")
            .Validate(o => o.Limits.MessagesPerHour >= 0 && o.Limits.RecipientsPerDay >= 0, "Edge:Limits:MessagesPerHour and :RecipientsPerDay must not be negative (0: no limit).")
            .Validate(o => o.Limits.MaxAuthFailuresPerAddress > 0 && o.Limits.MaxAuthFailuresPerAccount > 0 && o.Limits.AuthFailureWindow > TimeSpan.Zero, "Edge:Limits:MaxAuthFailuresPerAddress, :MaxAuthFailuresPerAccount and :AuthFailureWindow must be positive.")
            .ValidateOnStart();
        services.AddMtaStorage(configuration);
        services.AddSingleton<SmtpEdgeService>();
        services.AddHostedService(sp => sp.GetRequiredService<SmtpEdgeService>());
        return services;
    }

    /// <summary>The edge's telemetry: the shared registration under the edge's role name.</summary>
    public static IOpenTelemetryBuilder AddMtaEdgeTelemetry(this IServiceCollection services, IConfiguration configuration) =>
        services.AddMtaOpenTelemetry(configuration, TelemetryRoleName);
}
