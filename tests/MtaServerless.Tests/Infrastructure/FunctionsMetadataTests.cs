using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using MtaServerless.Core.Storage;
using MtaServerless.Functions;
using MtaServerless.LocalRunner;

namespace MtaServerless.Tests.Infrastructure;

/// <summary>
/// The Functions host reads <c>functions.metadata</c>, written by the worker SDK at build time; it
/// must bind each function to the contract's queue and connection, or the deployed app listens
/// to the wrong place.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonArray> Metadata = new(Load);

    [Theory]
    [InlineData(FunctionNames.Ingest, StorageNames.InboundQueue, "MtaServerless.Functions.IngestFunction.RunAsync")]
    [InlineData(FunctionNames.Deliver, StorageNames.DeliveryQueue, "MtaServerless.Functions.DeliverFunction.RunAsync")]
    public void Function_IsBoundToItsQueueThroughTheStorageConnection(string name, string queue, string entryPoint)
    {
        var function = Assert.Single(Metadata.Value, f => f!["name"]!.GetValue<string>() == name)!;

        Assert.Equal(entryPoint, function["entryPoint"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", function["language"]!.GetValue<string>());
        var binding = Assert.Single(function["bindings"]!.AsArray())!;
        Assert.Equal("queueTrigger", binding["type"]!.GetValue<string>());
        Assert.Equal("In", binding["direction"]!.GetValue<string>());
        Assert.Equal(queue, binding["queueName"]!.GetValue<string>());
        Assert.Equal(StorageNames.Connection, binding["connection"]!.GetValue<string>());
    }

    [Fact]
    public void Metadata_HasExactlyTheContractsFunctions()
    {
        var names = Metadata.Value.Select(f => f!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal);

        Assert.Equal([FunctionNames.Deliver, FunctionNames.Ingest, FunctionNames.QueueMetrics, FunctionNames.Sweeper], names);
    }

    /// <summary>The queue gauges as often as telemetry.json asks; the sweeper often enough that its tick is a small part of Pipeline:SweepAfter.</summary>
    [Theory]
    [InlineData(FunctionNames.QueueMetrics, FunctionNames.QueueMetricsSchedule, "MtaServerless.Functions.QueueMetricsFunction.RunAsync")]
    [InlineData(FunctionNames.Sweeper, FunctionNames.SweeperSchedule, "MtaServerless.Functions.SweeperFunction.RunAsync")]
    public void Timer_IsOnItsSharedSchedule_AtLeastEveryFiveMinutes(string name, string schedule, string entryPoint)
    {
        var function = Assert.Single(Metadata.Value, f => f!["name"]!.GetValue<string>() == name)!;

        Assert.Equal(entryPoint, function["entryPoint"]!.GetValue<string>());
        var binding = Assert.Single(function["bindings"]!.AsArray())!;
        Assert.Equal(("timerTrigger", "In"), (binding["type"]!.GetValue<string>(), binding["direction"]!.GetValue<string>()));
        Assert.Equal(schedule, binding["schedule"]!.GetValue<string>());
        var minutes = schedule.Split(' ')[1];
        Assert.Matches(@"^\*/[1-5]$", minutes);
    }

    [Fact]
    public void LocalRunner_RegistersEveryFunctionOfTheAppUnderItsName()
    {
        var local = typeof(LocalTriggers).GetMethods()
            .Select(m => m.GetCustomAttribute<Microsoft.Azure.WebJobs.FunctionNameAttribute>()?.Name)
            .OfType<string>()
            .Order(StringComparer.Ordinal);

        Assert.Equal(Metadata.Value.Select(f => f!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal), local);
    }

    [Fact]
    public void HostJson_SendsTheHostsTelemetryThroughOpenTelemetry()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionsOutput(), HostJsonQueueOptions.FileName)))!;

        Assert.Equal("OpenTelemetry", hostJson["telemetryMode"]!.GetValue<string>());
    }

    [Fact]
    public void HostJson_QueueSettingsAreExplicitAndUnderstoodByTheLocalRunner()
    {
        var hostJson = Path.Combine(FunctionsOutput(), HostJsonQueueOptions.FileName);
        var queues = JsonNode.Parse(File.ReadAllText(hostJson))!["extensions"]!["queues"]!.AsObject();
        var options = new Microsoft.Azure.WebJobs.Host.QueuesOptions();

        HostJsonQueueOptions.Apply(hostJson, new ConfigurationBuilder().Build(), options);

        Assert.Equal(queues["batchSize"]!.GetValue<int>(), options.BatchSize);
        Assert.Equal(queues["maxDequeueCount"]!.GetValue<int>(), options.MaxDequeueCount);
        Assert.Equal(TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), options.MaxPollingInterval);
        Assert.Equal(TimeSpan.Parse(queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture), options.VisibilityTimeout);
        Assert.Equal(Azure.Storage.Queues.QueueMessageEncoding.Base64, options.MessageEncoding);
    }

    /// <summary>The app setting the Bicep deployment sets for the polling interval overrides host.json in the local runner too.</summary>
    [Fact]
    public void HostJson_QueueSettingOverriddenAsTheFunctionsHostTakesAppSettings_TheLocalRunnerTakesTheOverride()
    {
        var hostJson = Path.Combine(FunctionsOutput(), HostJsonQueueOptions.FileName);
        var options = new Microsoft.Azure.WebJobs.Host.QueuesOptions();
        var settings = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{HostJsonQueueOptions.OverrideSection}:maxPollingInterval"] = "00:00:00.250" })
            .Build();

        HostJsonQueueOptions.Apply(hostJson, settings, options);

        Assert.Equal(TimeSpan.FromMilliseconds(250), options.MaxPollingInterval);
        Assert.Equal(JsonNode.Parse(File.ReadAllText(hostJson))!["extensions"]!["queues"]!["batchSize"]!.GetValue<int>(), options.BatchSize);
    }

    private static JsonArray Load() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionsOutput(), "functions.metadata")))!.AsArray();

    /// <summary>The Functions project's own build output, in the configuration these tests were built in.</summary>
    private static string FunctionsOutput()
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var output = Path.Combine(RepositoryPaths.FindInfraDirectory(), "..", "functions", "MtaServerless.Functions", "bin", configuration, "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "functions.metadata")), $"No functions.metadata in {output}: build the solution first.");
        return output;
    }
}
