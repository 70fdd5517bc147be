using System.Globalization;
using Microsoft.Extensions.Options;
using MtaServerless.Pipeline.Retry;

namespace MtaServerless.Pipeline;

/// <summary>
/// Refuses, at start, settings the pipeline cannot keep its promises with, naming the settings. Above
/// all: a run must end within its lease, or another run may take its recipients and send them again.
/// </summary>
public sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    /// <summary>A recipient whose task was lost waits this long at most before the sweeper drives it again: a margin, not an outage.</summary>
    public static readonly TimeSpan MaxSweepAfter = TimeSpan.FromHours(12);

    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (setting, value) in new[]
        {
            (nameof(options.ConnectTimeout), options.ConnectTimeout),
            (nameof(options.CommandTimeout), options.CommandTimeout),
            (nameof(options.DataTimeout), options.DataTimeout),
            (nameof(options.QuitTimeout), options.QuitTimeout),
            (nameof(options.DnsTimeout), options.DnsTimeout),
            (nameof(options.LeaseDuration), options.LeaseDuration),
            (nameof(options.MaxLifetime), options.MaxLifetime),
            (nameof(options.SweepAfter), options.SweepAfter),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"{Setting(setting)} must be above zero (it is {value}).");
            }
        }

        if (options.MaxHostsTried < 1)
        {
            failures.Add($"{Setting(nameof(options.MaxHostsTried))} must be at least 1 (it is {options.MaxHostsTried}).");
        }

        if (options.SweepAfter > MaxSweepAfter)
        {
            failures.Add($"{Setting(nameof(options.SweepAfter))} must be at most {MaxSweepAfter} (it is {options.SweepAfter}): recipients whose task was lost wait that long to be delivered or bounced.");
        }

        try
        {
            BackoffSchedule.Parse(options.Backoff, options.BackoffJitter);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            failures.Add($"{Setting(nameof(options.Backoff))} / {Setting(nameof(options.BackoffJitter))}: {ex.Message}");
        }

        if (failures.Count == 0 && options.WorstCaseHop > options.LeaseDuration - options.RecordingReserve)
        {
            failures.Add(LeaseTooShort(options));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string LeaseTooShort(PipelineOptions options)
    {
        // The hop may use nine tenths of the lease; the last tenth is for reading the message and writing results.
        var needed = TimeSpan.FromSeconds(Math.Ceiling(options.WorstCaseHop.TotalSeconds * 10 / 9));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Setting(nameof(options.LeaseDuration))} ({options.LeaseDuration}) cannot hold a delivery run: one hop may take {options.WorstCaseHop} "
            + $"({Setting(nameof(options.DnsTimeout))} x {PipelineOptions.DnsTimeoutsPerResolution} + {Setting(nameof(options.ConnectTimeout))} x {Setting(nameof(options.MaxHostsTried))} "
            + $"+ {Setting(nameof(options.DataTimeout))} + {Setting(nameof(options.QuitTimeout))}), and the last tenth of the lease is kept for writing the results. "
            + $"Set {Setting(nameof(options.LeaseDuration))} to at least {needed}, or lower those timeouts.");
    }

    private static string Setting(string property) => $"{PipelineOptions.Section}:{property}";
}
