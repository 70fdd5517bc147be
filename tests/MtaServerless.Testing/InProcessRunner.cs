using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;
using MtaServerless.LocalRunner;
using Xunit;

namespace MtaServerless.Testing;

/// <summary>The local runner (edge and function classes on the WebJobs engine) on a test's Azurite, and MailKit submitting to its edge.</summary>
public static class InProcessRunner
{
    /// <param name="settings">Added to (or replacing) the defaults: edge on an ephemeral port, fast retries, no route cache, no checks of received mail.</param>
    /// <param name="hostJsonPath">The queue engine's host.json; the Functions app's own by default.</param>
    /// <param name="services">Registrations added to the runner's (e.g. in-memory telemetry exporters).</param>
    public static async Task<IHost> StartAsync(string storageConnectionString, IReadOnlyDictionary<string, string?>? settings = null, string? hostJsonPath = null, Action<IServiceCollection>? services = null)
    {
        var values = new Dictionary<string, string?>
        {
            [StorageNames.Connection] = storageConnectionString,
            ["Edge:HostName"] = "edge.test",
            ["Edge:Listeners:0:Name"] = "mx",
            ["Edge:Listeners:0:Address"] = "127.0.0.1",
            ["Edge:Listeners:0:Port"] = "0",
            ["Pipeline:HostName"] = "relay.test",
            ["Pipeline:Backoff"] = "00:00:01",
            ["Pipeline:BackoffJitter"] = "0",
            ["Pipeline:RouteCacheTtl"] = "00:00:00",
            // Checks of received mail ask DNS about every sender: only the tests of them turn them on, with a DNS server on loopback.
            ["Authentication:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var host = LocalRunnerHost.Build(
            new ConfigurationBuilder().AddInMemoryCollection(values).Build(),
            hostJsonPath ?? Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName),
            services);
        try
        {
            await host.StartAsync();
        }
        catch
        {
            // A host that fails to start still made its telemetry providers, which listen process-wide until disposed.
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>Settings for a second listener (index 1) of a submission role, and the development certificate it needs, kept in <paramref name="certificateDirectory"/>.</summary>
    public static Dictionary<string, string?> SubmissionListener(string name, ListenerRole role, string certificateDirectory)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Edge:Listeners:1:Name"] = name,
            ["Edge:Listeners:1:Role"] = role.ToString(),
            ["Edge:Listeners:1:Address"] = "127.0.0.1",
            ["Edge:Listeners:1:Port"] = "0",
        };
        foreach (var (key, value) in DevelopmentTls.EnsureConfigured(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), certificateDirectory))
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <returns>The message id from the edge's <c>250 2.0.0 Ok: queued as {id}</c>.</returns>
    public static async Task<string> SubmitAsync(IHost runner, MimeMessage message)
    {
        const string Queued = "2.0.0 Ok: queued as ";
        var endpoint = runner.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints[0];
        using var client = new SmtpClient { LocalDomain = "client.test" };
        await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, SecureSocketOptions.None);
        var reply = await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
        Assert.StartsWith(Queued, reply, StringComparison.Ordinal);
        return reply[Queued.Length..].Trim();
    }
}
