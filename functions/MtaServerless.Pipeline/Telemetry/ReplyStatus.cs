using System.Globalization;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Telemetry;

/// <summary>The basic and enhanced status codes of a recorded reply such as <c>550 5.1.1 No such user</c>.</summary>
/// <param name="Code">The basic code; 0 when no next hop was reached, so no one replied.</param>
public readonly record struct ReplyStatus(int Code, string EnhancedCode)
{
    /// <summary>Reads the codes off the reply's start; a reply without an enhanced code gets the class's <c>X.0.0</c> (RFC 3463 3.1).</summary>
    public static ReplyStatus Parse(int code, string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply == SmtpRelay.UnreachableReply)
        {
            return new ReplyStatus(0, "4.4.1");
        }

        var words = reply.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        var enhanced = words.Length > 1 && IsEnhanced(words[1], code) ? words[1] : $"{code / 100}.0.0";
        return new ReplyStatus(code, enhanced);
    }

    /// <summary>The codes of a recorded reply, its basic code read off its start (0 when it has none).</summary>
    public static ReplyStatus Parse(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return Parse(int.TryParse(reply.AsSpan(0, Math.Min(3, reply.Length)), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : 0, reply);
    }

    private static bool IsEnhanced(string word, int code)
    {
        var parts = word.Split('.');
        return parts.Length == 3
            && parts[0] == (code / 100).ToString(CultureInfo.InvariantCulture)
            && parts.Skip(1).All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit));
    }
}
