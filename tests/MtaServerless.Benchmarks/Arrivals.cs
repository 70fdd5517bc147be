using System.Text;
using System.Text.RegularExpressions;
using MtaServerless.Testing;

namespace MtaServerless.Benchmarks;

/// <summary>
/// What the sink received, by message (the edge's queue id, from our Received header's "id" clause) and recipient:
/// when each message was delivered to all its recipients, and whether any recipient got it twice.
/// </summary>
internal sealed partial class Arrivals(SmtpSink sink)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly Dictionary<string, Dictionary<string, List<DateTimeOffset>>> _byMessage = new(StringComparer.Ordinal);
    private int _read;

    /// <returns>When each message had reached all its recipients; those that had not by the deadline are missing.</returns>
    public async Task<Dictionary<string, DateTimeOffset>> WaitAsync(IReadOnlyList<Sent> sent, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var delivered = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (true)
        {
            Collect();
            foreach (var message in sent.Where(m => !delivered.ContainsKey(m.Id)))
            {
                if (_byMessage.TryGetValue(message.Id, out var recipients) && message.Recipients.All(recipients.ContainsKey))
                {
                    delivered[message.Id] = message.Recipients.Max(r => recipients[r][0]);
                }
            }

            if (delivered.Count == sent.Count || DateTimeOffset.UtcNow > deadline)
            {
                return delivered;
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <returns>Deliveries beyond the first to the same recipient of the same message, of these messages.</returns>
    public int Duplicates(IEnumerable<Sent> sent)
    {
        Collect();
        return sent.Sum(m => _byMessage.TryGetValue(m.Id, out var recipients) ? Extra(recipients) : 0);
    }

    /// <returns>The same, of every message the sink received.</returns>
    public int Duplicates()
    {
        Collect();
        return _byMessage.Values.Sum(Extra);
    }

    private static int Extra(Dictionary<string, List<DateTimeOffset>> recipients) => recipients.Values.Sum(times => times.Count - 1);

    private void Collect()
    {
        foreach (var mail in sink.Accepted.Skip(_read))
        {
            _read++;
            var id = IdClause().Match(Encoding.ASCII.GetString(mail.Data, 0, Math.Min(mail.Data.Length, 400))).Groups[1].Value;
            if (!_byMessage.TryGetValue(id, out var recipients))
            {
                _byMessage[id] = recipients = new Dictionary<string, List<DateTimeOffset>>(StringComparer.Ordinal);
            }

            foreach (var to in mail.To)
            {
                if (!recipients.TryGetValue(to, out var times))
                {
                    recipients[to] = times = [];
                }

                times.Add(mail.ArrivedAt);
            }
        }
    }

    [GeneratedRegex(@"\bid ([0-9a-f]{32})\b", RegexOptions.CultureInvariant)]
    private static partial Regex IdClause();
}
