using MtaServerless.Core.Users;

namespace MtaServerless.Edge.Limits;

internal enum SendingLimit
{
    MessagesPerHour,
    RecipientsPerDay,
}

/// <summary>
/// What each logged-in user has submitted through this edge: messages over a rolling hour, recipients over a
/// rolling day, against the user's row or the edge's defaults (0: no limit). Counted in this edge's memory, so
/// with several edges a user who reaches all of them may send up to that many times the limit, and a restarted
/// edge starts from zero. A message counts once it is accepted; sessions of one user in parallel may each pass
/// the check before either is counted, so a limit can be overshot by the transactions in flight.
/// </summary>
internal sealed class SendingLimits(EdgeLimitOptions limits, TimeProvider time)
{
    // Bounded by the users table; the counter drops idle users first.
    private const int Capacity = 100_000;

    private readonly RollingCounter<string> _messages = new(TimeSpan.FromHours(1), Capacity, time);
    private readonly RollingCounter<string> _recipients = new(TimeSpan.FromDays(1), Capacity, time);
    private readonly RollingCounter<(string, SendingLimit)> _refusals = new(TimeSpan.FromHours(1), Capacity, time);

    public int LimitOf(UserAccount account, SendingLimit limit) => limit switch
    {
        SendingLimit.MessagesPerHour => account.MessagesPerHour ?? limits.MessagesPerHour,
        _ => account.RecipientsPerDay ?? limits.RecipientsPerDay,
    };

    /// <returns>Whether one more message would go over the user's hourly count.</returns>
    public bool IsMessageLimited(UserAccount account) => IsOver(account, SendingLimit.MessagesPerHour, _messages.Count(account.Name) + 1);

    /// <param name="pending">Recipients already accepted in the open transaction, not counted yet.</param>
    /// <returns>Whether one more recipient would go over the user's daily count.</returns>
    public bool IsRecipientLimited(UserAccount account, int pending) =>
        IsOver(account, SendingLimit.RecipientsPerDay, _recipients.Count(account.Name) + pending + 1);

    /// <summary>Counts an accepted message.</summary>
    public void Record(UserAccount account, int recipients)
    {
        _messages.Add(account.Name);
        _recipients.Add(account.Name, recipients);
    }

    /// <summary>True for a user's first refusal by a limit within an hour: it is reported then, not at every refusal that follows.</summary>
    public bool IsFirstRefusal(UserAccount account, SendingLimit limit) => _refusals.Add((account.Name, limit)) == 1;

    private bool IsOver(UserAccount account, SendingLimit limit, int count) => LimitOf(account, limit) is > 0 and var max && count > max;
}
