using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;

namespace MtaServerless.Testing;

/// <summary>The edge alone, on an ephemeral loopback port, spooling to the given storage.</summary>
public sealed class EdgeHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EdgeHost(IHost host)
    {
        _host = host;
        Endpoint = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
    }

    public IPEndPoint Endpoint { get; }

    public IServiceProvider Services => _host.Services;

    /// <param name="settings">More configuration, e.g. <c>MtaStorage:retry:maxRetries</c>.</param>
    /// <param name="telemetry">Register the edge's telemetry as its program does, exporting where <paramref name="settings"/> say.</param>
    public static async Task<EdgeHost> StartAsync(string storageConnectionString, IReadOnlyDictionary<string, string?>? settings = null, bool telemetry = false)
    {
        // Empty: the appsettings.json files that referenced projects copy into a test's folder must not add listeners.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [StorageNames.Connection] = storageConnectionString,
            ["Edge:HostName"] = "edge.test",
            ["Edge:Listeners:0:Name"] = "mx",
            ["Edge:Listeners:0:Address"] = "127.0.0.1",
            ["Edge:Listeners:0:Port"] = "0",

            // The pipeline's tests send to any domain: the test client on loopback is a trusted relay client.
            ["Edge:TrustedNetworks:0"] = "127.0.0.0/8",
        });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddMtaEdge(builder.Configuration);
        if (telemetry)
        {
            builder.Services.AddMtaEdgeTelemetry(builder.Configuration);
        }

        var host = builder.Build();
        await host.StartAsync();
        return new EdgeHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
