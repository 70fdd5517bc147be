using System.Globalization;

namespace MtaServerless.Core.Deliveries;

/// <summary>An RFC 3463 enhanced status code, <c>class.subject.detail</c> such as <c>5.1.1</c>.</summary>
public readonly record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    /// <summary>RFC 3463 3.1: a reply without an enhanced code stands for its class's <c>X.0.0</c>.</summary>
    public static EnhancedStatusCode Unspecified(int replyCode) => new(replyCode / 100, 0, 0);

    /// <summary>Reads <c>2.0.0</c>, <c>4.7.1</c>, <c>5.1.10</c>: a class of 2, 4 or 5, then one to three digits twice.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out EnhancedStatusCode code)
    {
        code = default;
        Span<Range> parts = stackalloc Range[4];
        if (text.Split(parts, '.') != 3)
        {
            return false;
        }

        var klass = text[parts[0]];
        var subject = text[parts[1]];
        var detail = text[parts[2]];
        if (klass is not ("2" or "4" or "5") || !IsNumber(subject) || !IsNumber(detail))
        {
            return false;
        }

        code = new EnhancedStatusCode(klass[0] - '0', int.Parse(subject, CultureInfo.InvariantCulture), int.Parse(detail, CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>The same subject and detail in another class, e.g. a transient <c>4.4.1</c> reported as <c>5.4.1</c>.</summary>
    public EnhancedStatusCode WithClass(int klass) => this with { Class = klass };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}");

    private static bool IsNumber(ReadOnlySpan<char> digits) => digits.Length is > 0 and <= 3 && !digits.ContainsAnyExcept("0123456789");
}
