using Microsoft.Extensions.Configuration;
using MtaServerless.Edge.Tls;

namespace MtaServerless.LocalRunner;

/// <summary>STARTTLS and implicit TLS need a certificate; locally the runner makes a self-signed one, once.</summary>
public static class DevelopmentTls
{
    /// <returns>The <c>Edge:Tls</c> settings to add; empty when the configuration names a certificate already.</returns>
    public static Dictionary<string, string?> EnsureConfigured(IConfiguration configuration, string directory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration["Edge:Tls:CertificatePath"] is { Length: > 0 } || configuration["Edge:Tls:PfxPath"] is { Length: > 0 })
        {
            return [];
        }

        var certificate = Path.GetFullPath(Path.Combine(directory, "edge.crt"));
        var key = Path.GetFullPath(Path.Combine(directory, "edge.key"));
        if (!File.Exists(certificate) || !File.Exists(key))
        {
            Directory.CreateDirectory(directory);
            DevelopmentCertificate.WritePem(certificate, key, configuration["Edge:HostName"] ?? "localhost");
        }

        return new Dictionary<string, string?> { ["Edge:Tls:CertificatePath"] = certificate, ["Edge:Tls:KeyPath"] = key };
    }
}
