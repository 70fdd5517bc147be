using MtaServerless.Core.Mail;
using MtaServerless.Pipeline.Authentication.Spf;
using MtaServerless.Pipeline.Ingest;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// Our one <c>Authentication-Results:</c> field (RFC 8601) for a received message: SPF, one result per DKIM signature
/// (<c>dkim=none</c> without any), DMARC and ARC, each on a line of its own with its reason as a comment, folded at
/// 78 characters. Values that are not RFC 2045 tokens (a <c>header.b</c> with <c>/</c>, <c>+</c> or <c>=</c>) are
/// quoted; what a sender wrote (names, reasons) is reduced to printable ASCII, so the field is ASCII.
/// </summary>
public static class AuthenticationResultsHeader
{
    public const string FieldName = "Authentication-Results";

    // RFC 2045 5.1: what a token may not contain, besides space and controls.
    private const string TSpecials = "()<>@,;:\\\"/[]?=";

    /// <param name="servId">The authserv-id: the name our fields are known by, and removed by when they come from elsewhere.</param>
    /// <param name="mailFrom">The reverse path (<c>smtp.mailfrom</c>); empty for the null sender, whose SPF identity is the HELO name.</param>
    public static string Build(string servId, string mailFrom, InboundAuthentication results)
    {
        ArgumentNullException.ThrowIfNull(servId);
        ArgumentNullException.ThrowIfNull(mailFrom);
        ArgumentNullException.ThrowIfNull(results);
        List<List<string>> lines = [[Value(servId)], Spf(results.Spf, mailFrom)];
        if (results.Signatures.Dkim.Count == 0)
        {
            lines.Add(["dkim=none"]);
        }

        foreach (var signature in results.Signatures.Dkim)
        {
            var dkim = Method("dkim", signature.Verdict, signature.Reason);
            dkim.Add($"header.d={Domain(signature.Domain)}");
            dkim.Add($"header.s={Value(signature.Selector)}");
            dkim.Add($"header.b={Value(signature.SignatureStart)}");
            lines.Add(dkim);
        }

        lines.Add(Dmarc(results.Dmarc));
        var arc = results.Signatures.Arc;
        lines.Add(Method("arc", arc.Verdict, Join(arc.Instances > 0 ? $"i={arc.Instances}" : null, arc.Reason)));
        // resinfo = ";" methodspec ...: every result follows a semicolon, at the end of the line before it.
        for (var i = 0; i < lines.Count - 1; i++)
        {
            lines[i][^1] += ";";
        }

        return FoldedField.Fold(FieldName + ":", lines);
    }

    private static List<string> Spf(SpfResult spf, string mailFrom)
    {
        var tokens = Method("spf", spf.Verdict, spf.Reason);
        tokens.Add(spf.FromHelo || mailFrom.Length == 0
            ? $"smtp.helo={Domain(spf.Domain)}"
            : $"smtp.mailfrom={MailFrom(mailFrom, spf.Domain)}");
        return tokens;
    }

    private static List<string> Dmarc(DmarcResult dmarc)
    {
        // A failure without a record (too many author domains) has no p= to show.
        var policy = dmarc.Verdict != AuthVerdict.Fail || dmarc.PolicyDomain is null ? null
            : dmarc.Testing ? $"p={dmarc.Policy.ToString().ToLowerInvariant()} t=y"
            : $"p={dmarc.Policy.ToString().ToLowerInvariant()}";
        var tokens = Method("dmarc", dmarc.Verdict, Join(policy, dmarc.Reason));
        if (dmarc.FromDomain.Length > 0)
        {
            tokens.Add($"header.from={Domain(dmarc.FromDomain)}");
        }

        return tokens;
    }

    private static List<string> Method(string method, AuthVerdict verdict, string? comment)
    {
        var tokens = new List<string> { $"{method}={verdict.ToString().ToLowerInvariant()}" };
        if (comment is { Length: > 0 })
        {
            tokens.AddRange(Comment(comment));
        }

        return tokens;
    }

    private static string? Join(string? first, string? second) =>
        (first, second) switch
        {
            ({ } a, { Length: > 0 } b) => $"{a}; {b}",
            ({ } a, _) => a,
            _ => second,
        };

    /// <summary>A comment, one token per word so that folding may break between them; parentheses and backslashes are quoted-pairs.</summary>
    private static IEnumerable<string> Comment(string text)
    {
        var words = Printable(text).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return [];
        }

        words[0] = "(" + words[0];
        words[^1] += ")";
        return words;
    }

    /// <summary>An RFC 2045 value: a token as it is, anything else a quoted-string.</summary>
    private static string Value(string value)
    {
        var text = Printable(value);
        return text.Length > 0 && text.All(c => c > ' ' && !TSpecials.Contains(c, StringComparison.Ordinal))
            ? text
            : "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>A domain as an A-label; a name that is none is written as a value.</summary>
    private static string Domain(string domain) =>
        DomainName.TryNormalize(domain, out var normalized) ? normalized : Value(domain);

    /// <summary>RFC 8601 2.3's <c>local-part@domain</c> form when the address is plain ASCII; else its domain alone, which is what SPF checked.</summary>
    private static string MailFrom(string mailFrom, string domain) =>
        MailboxAddress.TryParse(mailFrom, out var address) && address.ToString().All(c => c is > ' ' and < '\x7f')
            ? address.ToString()
            : Domain(domain);

    /// <summary>Printable ASCII and spaces only: a value from a sender or a DNS record must not break the field.</summary>
    private static string Printable(string value) =>
        string.Create(value.Length, value, static (span, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                span[i] = c is >= ' ' and < '\x7f' ? c : c is '\t' or '\r' or '\n' ? ' ' : '?';
            }
        });
}
