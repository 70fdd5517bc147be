using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Spool;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>The edge hosted the way the runner hosts it (AddMtaEdge), on an ephemeral loopback port, over a recording spool.</summary>
internal sealed class EdgeServer : IAsyncDisposable
{
    public const string HostName = "edge.test";
    public const string ListenerName = "test";

    private readonly IHost _host;

    private EdgeServer(IHost host, RecordingSpool spool)
    {
        _host = host;
        Spool = spool;
        Endpoint = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints.Single();
    }

    public RecordingSpool Spool { get; }

    public IPEndPoint Endpoint { get; }

    public static async Task<EdgeServer> StartAsync(TimeSpan? commandTimeout = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:HostName"] = HostName,
            ["Edge:CommandTimeout"] = (commandTimeout ?? TimeSpan.FromSeconds(30)).ToString("c", CultureInfo.InvariantCulture),
            ["Edge:Listeners:0:Name"] = ListenerName,
            ["Edge:Listeners:0:Address"] = "127.0.0.1",
            ["Edge:Listeners:0:Port"] = "0",
        });
        var spool = new RecordingSpool();
        builder.Services.AddSingleton<IMessageSpool>(spool);
        builder.Services.AddMtaEdge(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return new EdgeServer(host, spool);
    }

    public Task<SmtpWireClient> ConnectAsync() => SmtpWireClient.ConnectAsync(Endpoint);

    public Task StopAsync() => _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
