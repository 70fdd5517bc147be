using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Telemetry;
using MtaServerless.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.Telemetry;

/// <summary>Which exporters the shared registration adds, from configuration alone; nothing here sends anything.</summary>
public sealed class TelemetryRegistrationTests
{
    // Loopback endpoints: should anything try to send, it stays on this machine.
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/";
    private const string ClientId = "22222222-2222-2222-2222-222222222222";

    [Fact]
    public void ConnectionString_SelectsAzureMonitor_AuthenticatedAsTheManagedIdentity()
    {
        var (services, provider) = Register(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            [TelemetryExporters.ClientIdSetting] = ClientId,
        });
        using (provider)
        {
            var options = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().CurrentValue;

            Assert.Equal(new TelemetryExporters(ConnectionString, null, false, ClientId), provider.GetRequiredService<TelemetryExporters>());
            Assert.True(RegisteredFrom(services, typeof(AzureMonitorExporterOptions)));
            Assert.False(RegisteredFrom(services, typeof(OtlpExporterOptions)));
            Assert.Equal(ConnectionString, options.ConnectionString);
            Assert.IsType<ManagedIdentityCredential>(options.Credential);
            Assert.True(options.EnableTraceBasedLogsSampler);
        }
    }

    [Fact]
    public void ConnectionStringWithoutClientId_UsesTheConnectionStringsKeyAlone()
    {
        var (_, provider) = Register(new() { [TelemetryExporters.ConnectionStringSetting] = ConnectionString });
        using (provider)
        {
            Assert.Null(provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().CurrentValue.Credential);
        }
    }

    /// <summary>
    /// The exporter's sampler settings would have it write their ratio as every span's sample rate, although ours keeps
    /// failures whatever the ratio: each exported span counts once. The rest of its section applies.
    /// </summary>
    [Fact]
    public void ExportersSamplerSettings_DoNotReachItsSampleRate_ButTheRestOfItsSectionDoes()
    {
        var (_, provider) = Register(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            ["OTEL_TRACES_SAMPLER"] = "microsoft.fixed_percentage",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0.25",
            ["AzureMonitorExporter:StorageDirectory"] = "/var/tmp/mta-telemetry",
            ["AzureMonitorExporter:EnableTraceBasedLogsSampler"] = "false",
        });
        using (provider)
        {
            var options = provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().CurrentValue;

            Assert.Equal((1f, "/var/tmp/mta-telemetry"), (options.SamplingRatio, options.StorageDirectory));
            Assert.False(options.EnableTraceBasedLogsSampler);
        }
    }

    [Fact]
    public void TraceSamplingRatio_IsOnePercentByDefault()
    {
        var (_, provider) = Register([]);
        using (provider)
        {
            Assert.Equal(0.01, provider.GetRequiredService<IOptions<TelemetryOptions>>().Value.TraceSamplingRatio);
        }
    }

    [Theory]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    [InlineData("NaN")]
    public void TraceSamplingRatio_OutsideZeroToOne_FailsNamingTheSetting(string ratio)
    {
        var (_, provider) = Register(new() { ["Telemetry:TraceSamplingRatio"] = ratio });
        using (provider)
        {
            var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TelemetryOptions>>().Value);

            Assert.Contains("Telemetry:TraceSamplingRatio", failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OtlpEndpoint_SelectsOtlpOnly()
    {
        var (services, provider) = Register(new() { [TelemetryExporters.OtlpEndpointSetting] = "http://127.0.0.1:4317" });
        using (provider)
        {
            Assert.Equal(new TelemetryExporters(null, "http://127.0.0.1:4317", false, null), provider.GetRequiredService<TelemetryExporters>());
            Assert.True(RegisteredFrom(services, typeof(OtlpExporterOptions)));
            Assert.False(RegisteredFrom(services, typeof(AzureMonitorExporterOptions)));
        }
    }

    [Fact]
    public void ConsoleSetting_SelectsTheConsoleOnly()
    {
        var (services, provider) = Register(new() { ["Telemetry:Console"] = "true" });
        using (provider)
        {
            Assert.Equal(new TelemetryExporters(null, null, true, null), provider.GetRequiredService<TelemetryExporters>());
            Assert.False(RegisteredFrom(services, typeof(AzureMonitorExporterOptions)));
        }
    }

    [Fact]
    public void NoSettings_ExportNowhere()
    {
        var (services, provider) = Register([]);
        using (provider)
        {
            Assert.Equal(new TelemetryExporters(null, null, false, null), provider.GetRequiredService<TelemetryExporters>());
            Assert.False(RegisteredFrom(services, typeof(AzureMonitorExporterOptions)));
            Assert.False(RegisteredFrom(services, typeof(OtlpExporterOptions)));
        }
    }

    [Fact]
    public void Resource_TakesTheServiceNameAndInstanceFromTheOtelSettings()
    {
        var (_, provider) = Register(new()
        {
            ["OTEL_SERVICE_NAME"] = "mta-edge",
            ["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=edge-group-1",
        });
        using (provider)
        {
            var resource = provider.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);

            Assert.Equal(("mta-edge", "edge-group-1"), (resource["service.name"], resource["service.instance.id"]));
        }
    }

    [Fact]
    public void Resource_WithoutOtelServiceName_IsTheHostsName()
    {
        var (_, provider) = Register([]);
        using (provider)
        {
            var resource = provider.GetRequiredService<TracerProvider>().GetResource().Attributes.ToDictionary(a => a.Key, a => a.Value);

            Assert.Equal("mta-test", resource["service.name"]);
            Assert.DoesNotContain("service.instance.id", resource.Keys);
        }
    }

    private static (ServiceCollection Services, ServiceProvider Provider) Register(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMtaOpenTelemetry(configuration, "mta-test");
        return (services, services.BuildServiceProvider());
    }

    /// <summary>Whether any registration comes from the exporter package that defines <paramref name="options"/>.</summary>
    private static bool RegisteredFrom(ServiceCollection services, Type options) =>
        services.Any(d => d.ServiceType.Assembly == options.Assembly
            || d.ServiceType.GenericTypeArguments.Any(t => t.Assembly == options.Assembly)
            || d.ImplementationType?.Assembly == options.Assembly);
}
