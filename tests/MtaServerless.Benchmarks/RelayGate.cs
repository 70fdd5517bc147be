using SmtpServer.Protocol;

namespace MtaServerless.Benchmarks;

/// <summary>
/// The sink's reply to end-of-data: at once, or, while held, only when a given number of transactions wait
/// for it, so that that many relays are in flight in the MTA at the same time (the memory scenario).
/// </summary>
internal sealed class RelayGate
{
    /// <summary>Enough for the MTA to bring the relays it can; then everyone is answered, and the count says how many came.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromSeconds(60);
    private readonly Lock _lock = new();
    private TaskCompletionSource? _release;
    private int _target;
    private int _waiting;

    /// <summary>The most transactions that waited for their reply at once since <see cref="Hold"/>.</summary>
    public int MostWaiting { get; private set; }

    public void Hold(int transactions)
    {
        lock (_lock)
        {
            _target = transactions;
            _waiting = 0;
            MostWaiting = 0;
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task<SmtpResponse> ReplyAsync(CancellationToken cancellationToken)
    {
        Task released;
        lock (_lock)
        {
            if (_release is null)
            {
                return SmtpResponse.Ok;
            }

            MostWaiting = Math.Max(MostWaiting, ++_waiting);
            if (_waiting < _target)
            {
                released = _release.Task;
            }
            else
            {
                Release();
                return SmtpResponse.Ok;
            }
        }

        try
        {
            await released.WaitAsync(HoldLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                Release();
            }
        }

        return SmtpResponse.Ok;
    }

    private void Release()
    {
        _release?.TrySetResult();
        _release = null;
    }
}
