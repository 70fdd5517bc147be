using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// The edge hosted the way the runner hosts it (AddMtaEdge), over a recording spool and a seeded Azurite,
/// with three loopback listeners on ephemeral ports: mx (plain, STARTTLS offered), submission and
/// submissions (implicit TLS).
/// </summary>
internal sealed class EdgeServer : IAsyncDisposable
{
    public const string HostName = "edge.test";
    public const string ListenerName = "test";

    private readonly IHost _host;

    private EdgeServer(IHost host, RecordingSpool spool)
    {
        _host = host;
        Spool = spool;
        var bound = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;
        Endpoint = bound[0];
        SubmissionEndpoint = bound[1];
        SubmissionsEndpoint = bound[2];
    }

    public RecordingSpool Spool { get; }

    /// <summary>The mx listener.</summary>
    public IPEndPoint Endpoint { get; }

    public IPEndPoint SubmissionEndpoint { get; }

    public IPEndPoint SubmissionsEndpoint { get; }

    /// <param name="settings">Overrides of the <c>Edge</c> settings, e.g. <c>["Edge:Limits:MaxRecipients"] = "2"</c>.</param>
    public static async Task<EdgeServer> StartAsync(EdgeStorageFixture storage, TimeSpan? commandTimeout = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var configuration = new Dictionary<string, string?>
        {
            [StorageNames.Connection] = storage.Azurite.ConnectionString,
            ["Edge:HostName"] = HostName,
            ["Edge:CommandTimeout"] = (commandTimeout ?? TimeSpan.FromSeconds(30)).ToString("c", CultureInfo.InvariantCulture),
            ["Edge:Tls:CertificatePath"] = storage.CertificatePath,
            ["Edge:Tls:KeyPath"] = storage.KeyPath,
            ["Edge:Limits:AuthFailureDelay"] = "00:00:00.200",
            ["Edge:Listeners:0:Name"] = ListenerName,
            ["Edge:Listeners:0:Address"] = "127.0.0.1",
            ["Edge:Listeners:0:Port"] = "0",
            ["Edge:Listeners:1:Name"] = "submission",
            ["Edge:Listeners:1:Address"] = "127.0.0.1",
            ["Edge:Listeners:1:Port"] = "0",
            ["Edge:Listeners:1:Role"] = "Submission",
            ["Edge:Listeners:2:Name"] = "submissions",
            ["Edge:Listeners:2:Address"] = "127.0.0.1",
            ["Edge:Listeners:2:Port"] = "0",
            ["Edge:Listeners:2:Role"] = "Submissions",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
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
