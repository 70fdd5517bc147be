using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace MtaServerless.Edge.Tls;

/// <summary>
/// The server certificate from PEM files or a PFX, reloaded when the files change: each handshake
/// compares the files' write times (a stat, no read) with the loaded ones. A broken new file keeps the
/// old certificate in service and is logged.
/// </summary>
internal sealed class TlsCertificateProvider(EdgeTlsOptions options, ILogger logger)
{
    private readonly Lock _reload = new();
    private Loaded? _loaded;

    public bool IsConfigured => options.IsConfigured;

    /// <exception cref="InvalidOperationException">No certificate is configured, or none could ever be loaded.</exception>
    public SslServerAuthenticationOptions GetServerOptions() => new()
    {
        ServerCertificateContext = GetContext(),
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    public SslStreamCertificateContext GetContext()
    {
        var stamp = Stamp();
        if (_loaded is { } current && current.Stamp == stamp)
        {
            return current.Context;
        }

        lock (_reload)
        {
            if (_loaded is { } raced && raced.Stamp == stamp)
            {
                return raced.Context;
            }

            try
            {
                var context = Load();
                _loaded = new Loaded(context, stamp);
                EdgeLog.CertificateLoaded(logger, context.TargetCertificate.Subject, context.TargetCertificate.NotAfter);
                return context;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException && _loaded is not null)
            {
                EdgeLog.CertificateReloadFailed(logger, ex);
                return _loaded!.Context;
            }
        }
    }

    private SslStreamCertificateContext Load()
    {
        if (!options.IsConfigured)
        {
            throw new InvalidOperationException("No TLS certificate is configured (Edge:Tls).");
        }

        if (!string.IsNullOrWhiteSpace(options.PfxPath))
        {
            var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(options.PfxPath, options.PfxPassword);
            var leaf = all.First(c => c.HasPrivateKey);
            return SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(all.Where(c => c != leaf).ToArray()), offline: true);
        }

        var certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath!, options.KeyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(options.CertificatePath!);
        var intermediates = new X509Certificate2Collection(chain.Skip(1).ToArray());
        return SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    private (DateTime, DateTime) Stamp() =>
        (WriteTime(options.PfxPath ?? options.CertificatePath), WriteTime(options.KeyPath));

    private static DateTime WriteTime(string? path) =>
        string.IsNullOrWhiteSpace(path) ? DateTime.MinValue : File.GetLastWriteTimeUtc(path);

    private sealed record Loaded(SslStreamCertificateContext Context, (DateTime, DateTime) Stamp);
}
