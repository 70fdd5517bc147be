using Microsoft.Azure.Functions.Worker;
using MtaServerless.Pipeline.Sweep;

namespace MtaServerless.Functions;

public sealed class SweeperFunction(Sweeper sweeper)
{
    [Function(FunctionNames.Sweeper)]
    public Task RunAsync(
        [TimerTrigger(FunctionNames.SweeperSchedule)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        sweeper.SweepAsync(cancellationToken);
}
