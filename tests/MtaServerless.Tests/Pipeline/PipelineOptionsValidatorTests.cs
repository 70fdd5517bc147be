using Microsoft.Extensions.Options;
using MtaServerless.Pipeline;
using MtaServerless.Testing;

namespace MtaServerless.Tests.Pipeline;

/// <summary>Settings that cannot keep the pipeline's promises are refused at start, with the settings' names.</summary>
public sealed class PipelineOptionsValidatorTests
{
    private readonly PipelineOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var options = new PipelineOptions();

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.True(options.WorstCaseHop <= options.LeaseDuration - options.RecordingReserve);
    }

    [Fact]
    public void Validate_LeaseThatCannotHoldTheWorstCaseHop_FailsNamingEverySettingOfTheRule()
    {
        var options = new PipelineOptions { LeaseDuration = TimeSpan.FromMinutes(10) };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        foreach (var setting in new[] { "LeaseDuration", "DnsTimeout", "ConnectTimeout", "MaxHostsTried", "DataTimeout", "QuitTimeout" })
        {
            Assert.Contains($"Pipeline:{setting}", failure, StringComparison.Ordinal);
        }

        // 20 s of DNS + 5 x 30 s + 10 min + 30 s is 13 min 20 s, nine tenths of 14 min 49 s at least.
        Assert.Contains("at least 00:14:49", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LeaseJustLongEnough_Succeeds()
    {
        var options = new PipelineOptions { LeaseDuration = TimeSpan.FromSeconds(889) };

        Assert.True(_validator.Validate(null, options).Succeeded);
        Assert.True(_validator.Validate(null, new PipelineOptions { LeaseDuration = TimeSpan.FromSeconds(888) }).Failed);
    }

    public static TheoryData<string, PipelineOptions> OneBadSetting { get; } = new()
    {
        { nameof(PipelineOptions.Backoff), new PipelineOptions { Backoff = "5 minutes" } },
        { nameof(PipelineOptions.SweepAfter), new PipelineOptions { SweepAfter = TimeSpan.FromHours(13) } },
        { nameof(PipelineOptions.MaxHostsTried), new PipelineOptions { MaxHostsTried = 0 } },
        { nameof(PipelineOptions.DataTimeout), new PipelineOptions { DataTimeout = TimeSpan.Zero } },
    };

    [Theory]
    [MemberData(nameof(OneBadSetting))]
    public void Validate_OneBadSetting_FailsNamingIt(string setting, PipelineOptions options)
    {
        var result = _validator.Validate(null, options);

        Assert.Contains($"Pipeline:{setting}", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalRunner_LeaseThatCannotHoldARun_RefusesToStart()
    {
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => InProcessRunner.StartAsync(
            "UseDevelopmentStorage=true",
            new Dictionary<string, string?> { ["Pipeline:LeaseDuration"] = "00:05:00", ["Logging:LogLevel:Default"] = "None" }));

        Assert.Contains("Pipeline:LeaseDuration (00:05:00) cannot hold a delivery run", refused.Message, StringComparison.Ordinal);
    }
}
