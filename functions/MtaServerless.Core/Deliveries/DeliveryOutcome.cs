using System.Globalization;
using System.Text;

namespace MtaServerless.Core.Deliveries;

/// <summary>Who gave a reply: the next hop itself, or this MTA on its behalf (no answer, a local decision).</summary>
public enum OutcomeSource
{
    Local,
    Remote,
}

/// <summary>
/// What happened to a recipient, as an SMTP reply: the code, the RFC 3463 enhanced code, the text, and
/// who said it. A next hop's reply is parsed once, where it arrives; our own outcomes are built from the
/// same parts. The relay, the stages, the DSNs, the deliveries table and telemetry all carry this value.
/// </summary>
/// <param name="Host">The host that replied (<see cref="OutcomeSource.Remote"/>), or the one a local outcome is about; null when none is.</param>
public sealed record DeliveryOutcome(int Code, EnhancedStatusCode Status, string Text, OutcomeSource Source, string? Host = null)
{
    /// <summary>
    /// Replies are stored in the deliveries table and quoted in DSNs: a hop's multi-line essay is cut here,
    /// far below the 32K characters a table property holds.
    /// </summary>
    public const int MaxTextLength = 1000;

    private const string Ellipsis = "...";

    public bool IsSuccess => Code is >= 200 and < 300;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code >= 500;

    /// <summary>Ours about a host that never answered: it could not be reached or the connection broke (RFC 3463 X.4.X, network and routing).</summary>
    public bool IsUnanswered => Source == OutcomeSource.Local && Host is not null && Status.Subject == 4;

    /// <summary>A next hop's reply: the text of each line after its code, the enhanced code read off the first line and taken off every line that repeats it.</summary>
    public static DeliveryOutcome FromReply(int code, IReadOnlyList<string> lines, string host)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var status = EnhancedStatusCode.Unspecified(code);
        var hasStatus = false;
        if (lines.Count > 0 && TryReadStatus(lines[0], code, out var first, out _))
        {
            (status, hasStatus) = (first, true);
        }

        var text = new StringBuilder();
        foreach (var line in lines)
        {
            var rest = line.AsSpan();
            if (hasStatus && TryReadStatus(line, code, out var repeated, out var after) && repeated == status)
            {
                rest = after;
            }

            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(rest.Trim());
        }

        return new DeliveryOutcome(code, status, Bound(text.ToString()), OutcomeSource.Remote, host);
    }

    /// <summary>An outcome this MTA decides, e.g. <c>451 4.4.1</c> when no next hop answered.</summary>
    public static DeliveryOutcome Local(int code, string status, string text, string? host = null) =>
        new(code, EnhancedStatusCode.TryParse(status, out var parsed) ? parsed : throw new ArgumentException($"'{status}' is not an enhanced status code.", nameof(status)), Bound(text), OutcomeSource.Local, host);

    /// <summary>Reads back an outcome as <see cref="ToString"/> wrote it (a deliveries row's <c>LastReply</c>).</summary>
    public static DeliveryOutcome Parse(string reply, OutcomeSource source, string? host)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Length < 3 || !int.TryParse(reply.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 200 or > 599)
        {
            // Not a reply at all: a failure nobody can explain is permanent, as RFC 3463 reads an unknown status.
            return new DeliveryOutcome(554, new EnhancedStatusCode(5, 0, 0), Bound(reply), source, host);
        }

        var rest = reply.Length > 4 ? reply[4..] : string.Empty;
        return TryReadStatus(rest, code, out var status, out var text)
            ? new DeliveryOutcome(code, status, Bound(text.ToString()), source, host)
            : new DeliveryOutcome(code, EnhancedStatusCode.Unspecified(code), Bound(rest), source, host);
    }

    /// <summary>The same outcome with a remark after its text, e.g. why a transient failure is now final.</summary>
    public DeliveryOutcome WithRemark(string remark) => this with { Text = Bound($"{Text} ({remark})") };

    /// <returns>The reply as one line: <c>550 5.1.1 No such user</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Code} {Status} {Text}");

    private static bool TryReadStatus(string line, int code, out EnhancedStatusCode status, out ReadOnlySpan<char> rest)
    {
        var span = line.AsSpan().TrimStart();
        var end = span.IndexOf(' ');
        var word = end < 0 ? span : span[..end];
        rest = end < 0 ? [] : span[(end + 1)..];
        // RFC 3463 2: the enhanced code's class must agree with the reply code's.
        return EnhancedStatusCode.TryParse(word, out status) && status.Class == code / 100;
    }

    /// <summary>One line of printable text: line breaks and control characters would corrupt a DSN field or a log line.</summary>
    private static string Bound(string text)
    {
        var clean = string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
        if (clean.Length <= MaxTextLength)
        {
            return clean;
        }

        // Never half a surrogate pair: the stored text must stay valid UTF-16.
        var cut = MaxTextLength - Ellipsis.Length;
        cut -= char.IsHighSurrogate(clean[cut - 1]) ? 1 : 0;
        return string.Concat(clean.AsSpan(0, cut), Ellipsis);
    }
}
