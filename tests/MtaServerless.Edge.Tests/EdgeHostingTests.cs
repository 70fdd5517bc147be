using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Spool;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>How a host (the edge's Program, the local runner) starts the edge through AddMtaEdge.</summary>
public sealed class EdgeHostingTests
{
    [Fact]
    public async Task AddMtaEdge_TwoListenersOnPortZero_ExposesEachBoundPort()
    {
        using var host = Build(new()
        {
            ["Edge:Listeners:0:Name"] = "mx",
            ["Edge:Listeners:0:Address"] = "127.0.0.1",
            ["Edge:Listeners:0:Port"] = "0",
            ["Edge:Listeners:1:Name"] = "submission",
            ["Edge:Listeners:1:Address"] = "127.0.0.1",
            ["Edge:Listeners:1:Port"] = "0",
        });
        await host.StartAsync();

        var bound = host.Services.GetRequiredService<SmtpEdgeService>().BoundEndpoints;
        Assert.Equal(2, bound.Count);
        Assert.All(bound, endpoint => Assert.NotEqual(0, endpoint.Port));
        Assert.NotEqual(bound[0].Port, bound[1].Port);
        foreach (var endpoint in bound)
        {
            await using var client = await SmtpWireClient.ConnectAsync(endpoint);
            await client.ExpectAsync("220 ");
        }

        await host.StopAsync();
    }

    [Fact]
    public void TestProcess_RunsWithTheRuntimeEnvironmentOfTheEdgesImage()
    {
        // edge.runsettings gives these tests the image's settings, so the conversations here prove the deployed mode.
        var dockerfile = Path.Combine(Path.GetDirectoryName(RepositoryPaths.FindInfraDirectory())!, "edge", "Dockerfile");
        var settings = File.ReadLines(dockerfile)
            .Where(l => l.StartsWith("ENV DOTNET_", StringComparison.Ordinal))
            .Select(l => l["ENV ".Length..].Split('=', 2))
            .ToList();

        Assert.NotEmpty(settings);
        Assert.All(settings, setting => Assert.Equal(setting[1], Environment.GetEnvironmentVariable(setting[0])));
    }

    [Fact]
    public async Task AddMtaEdge_NoListenerConfigured_FailsAtStart()
    {
        using var host = Build(new() { ["Edge:HostName"] = "edge.test" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Edge:Listeners", error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Nothing here reads storage: the clients only need a connection to be configured.
        settings[StorageNames.Connection] = "UseDevelopmentStorage=true";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<IMessageSpool>(new RecordingSpool());
        builder.Services.AddMtaEdge(builder.Configuration);
        return builder.Build();
    }
}
