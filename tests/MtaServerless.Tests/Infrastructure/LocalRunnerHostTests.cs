using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;

namespace MtaServerless.Tests.Infrastructure;

public sealed class LocalRunnerHostTests
{
    [Theory]
    [InlineData("Warning", "Azure.Core", false)]
    [InlineData("Warning", "MtaServerless.Pipeline.Deliver.SmtpRelay", false)]
    [InlineData("Information", "Azure.Core", true)]
    public void Build_LogLevelsOfTheGivenConfiguration_AreTheOnesApplied(string level, string category, bool informationEnabled)
    {
        // The output folder holds an appsettings.json with other levels, which the WebJobs SDK adds to the host's configuration.
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json")));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [StorageNames.Connection] = "UseDevelopmentStorage=true",
            ["Logging:LogLevel:Default"] = level,
        }).Build();

        using var host = LocalRunnerHost.Build(configuration, Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName));

        Assert.Equal(informationEnabled, host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(category).IsEnabled(LogLevel.Information));
    }
}
