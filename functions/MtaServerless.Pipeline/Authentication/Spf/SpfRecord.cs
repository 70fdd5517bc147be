using System.Text.RegularExpressions;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>A parsed SPF record (RFC 7208 sections 4.5 and 4.6): its mechanisms in order and its two known modifiers.</summary>
/// <param name="Redirect">The unexpanded domain-spec of <c>redirect=</c>.</param>
/// <param name="Explanation">The unexpanded domain-spec of <c>exp=</c>: checked, never fetched (no explanation text is given).</param>
internal sealed partial record SpfRecord(IReadOnlyList<SpfMechanism> Mechanisms, string? Redirect, string? Explanation)
{
    private const string Version = "v=spf1";

    /// <summary>"v=spf1" in any case, then a space or the end (RFC 7208 4.5): "v=spf10" is another version.</summary>
    public static bool IsSpf(string txt) =>
        txt.StartsWith(Version, StringComparison.OrdinalIgnoreCase) && (txt.Length == Version.Length || txt[Version.Length] == ' ');

    /// <returns>Null with <paramref name="error"/> when any term is invalid: the whole record is a permerror before anything is evaluated (RFC 7208 4.6).</returns>
    public static SpfRecord? Parse(string txt, out string? error)
    {
        error = null;
        var mechanisms = new List<SpfMechanism>();
        string? redirect = null;
        string? explanation = null;
        foreach (var term in txt[Version.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var modifier = Modifier().Match(term);
            if (!modifier.Success)
            {
                if (SpfMechanism.Parse(term) is not { } mechanism)
                {
                    error = $"invalid term {term}";
                    return null;
                }

                mechanisms.Add(mechanism);
                continue;
            }

            var name = modifier.Groups["name"].Value.ToLowerInvariant();
            var value = modifier.Groups["value"].Value;
            error = name switch
            {
                "redirect" when redirect is not null => "redirect= appears twice",
                "exp" when explanation is not null => "exp= appears twice",
                "redirect" or "exp" when !SpfMacro.IsDomainSpec(value) => $"invalid term {term}",
                // Unknown modifiers are ignored, but only when their value is a macro-string (RFC 7208 6).
                _ when !SpfMacro.IsMacroString(value) => $"invalid term {term}",
                _ => null,
            };
            if (error is not null)
            {
                return null;
            }

            redirect = name == "redirect" ? value : redirect;
            explanation = name == "exp" ? value : explanation;
        }

        return new SpfRecord(mechanisms, redirect, explanation);
    }

    [GeneratedRegex("^(?<name>[A-Za-z][A-Za-z0-9_.-]*)=(?<value>.*)\\z", RegexOptions.Singleline)]
    private static partial Regex Modifier();
}
