using System.Collections.Concurrent;
using Microsoft.Azure.WebJobs.Extensions.Timers;

namespace MtaServerless.LocalRunner;

/// <summary>
/// Timer schedules kept in memory: the WebJobs default keeps them in a storage account's lock
/// container, which the runner does not set up, and a measurement missed while the runner was
/// stopped need not be caught up.
/// </summary>
internal sealed class InMemoryScheduleMonitor : ScheduleMonitor
{
    private readonly ConcurrentDictionary<string, ScheduleStatus> _statuses = new(StringComparer.Ordinal);

    public override Task<ScheduleStatus> GetStatusAsync(string timerName) =>
        Task.FromResult(_statuses.TryGetValue(timerName, out var status) ? status : null!);

    public override Task UpdateStatusAsync(string timerName, ScheduleStatus status)
    {
        _statuses[timerName] = status;
        return Task.CompletedTask;
    }
}
