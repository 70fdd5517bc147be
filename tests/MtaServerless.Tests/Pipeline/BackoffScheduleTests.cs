using MtaServerless.Pipeline.Retry;

namespace MtaServerless.Tests.Pipeline;

public sealed class BackoffScheduleTests
{
    private static readonly BackoffSchedule Schedule = BackoffSchedule.Parse("00:01:00, 00:05:00,04:00:00", jitter: 0.1);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    [InlineData(3, 240)]
    [InlineData(4, 240)]
    [InlineData(40, 240)]
    public void DelayAfter_MidJitter_FollowsTheScheduleAndRepeatsTheLast(int attempt, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), Schedule.DelayAfter(attempt, 0.5));
    }

    [Fact]
    public void DelayAfter_JitterExtremes_StayWithinTheBand()
    {
        Assert.Equal(TimeSpan.FromSeconds(54), Schedule.DelayAfter(1, 0.0));
        Assert.InRange(Schedule.DelayAfter(1, 0.999999), TimeSpan.FromSeconds(65.9), TimeSpan.FromSeconds(66));
    }

    [Fact]
    public void DelayAfter_NeverExceedsTheQueueVisibilityLimit()
    {
        var schedule = new BackoffSchedule([TimeSpan.FromDays(7)], jitter: 0.5);

        Assert.Equal(BackoffSchedule.MaxVisibilityTimeout, schedule.DelayAfter(1, 0.99));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("00:00:00")]
    [InlineData("8.00:00:00")]
    public void Parse_InvalidSchedules_AreRefused(string schedule)
    {
        var error = Record.Exception(() => BackoffSchedule.Parse(schedule, 0.1));

        Assert.True(error is FormatException or ArgumentException, error?.GetType().Name);
    }

    [Fact]
    public void DelayAfter_AttemptZero_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedule.DelayAfter(0, 0.5));
    }
}
