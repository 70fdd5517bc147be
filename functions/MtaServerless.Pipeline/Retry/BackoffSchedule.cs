using System.Globalization;

namespace MtaServerless.Pipeline.Retry;

/// <summary>When the next attempt of a deferred delivery happens: a configured list of delays, the last repeating, with jitter.</summary>
public sealed class BackoffSchedule
{
    /// <summary>Azure Storage queues refuse a longer visibility timeout.</summary>
    public static readonly TimeSpan MaxVisibilityTimeout = TimeSpan.FromDays(7);

    private readonly IReadOnlyList<TimeSpan> _delays;
    private readonly double _jitter;

    public BackoffSchedule(IReadOnlyList<TimeSpan> delays, double jitter)
    {
        ArgumentNullException.ThrowIfNull(delays);
        if (delays.Count == 0 || delays.Any(d => d <= TimeSpan.Zero || d > MaxVisibilityTimeout))
        {
            throw new ArgumentException($"A backoff schedule needs at least one delay, each above zero and at most {MaxVisibilityTimeout.TotalDays} days.", nameof(delays));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(jitter, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(jitter, 0.5);
        _delays = delays;
        _jitter = jitter;
    }

    public IReadOnlyList<TimeSpan> Delays => _delays;

    /// <exception cref="FormatException">An entry is not a TimeSpan.</exception>
    public static BackoffSchedule Parse(string schedule, double jitter)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var delays = schedule
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(entry => TimeSpan.TryParse(entry, CultureInfo.InvariantCulture, out var delay)
                ? delay
                : throw new FormatException($"Backoff entry '{entry}' is not a TimeSpan such as 00:05:00."))
            .ToArray();
        return new BackoffSchedule(delays, jitter);
    }

    /// <param name="failedAttempt">The attempt that was just deferred, from 1.</param>
    /// <param name="unitRandom">A value in [0, 1) that places the delay within the jitter band.</param>
    public TimeSpan DelayAfter(int failedAttempt, double unitRandom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var nominal = _delays[Math.Min(failedAttempt, _delays.Count) - 1];
        var factor = 1.0 + (_jitter * ((2.0 * unitRandom) - 1.0));
        var delay = TimeSpan.FromTicks((long)(nominal.Ticks * factor));
        return delay > MaxVisibilityTimeout ? MaxVisibilityTimeout : delay;
    }
}
