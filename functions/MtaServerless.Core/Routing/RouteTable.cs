using System.Collections.Frozen;
using MtaServerless.Core.Mail;

namespace MtaServerless.Core.Routing;

/// <summary>
/// An immutable snapshot of the routes table. Precedence: the exact domain, then <c>*.parent</c>
/// wildcards from the longest parent to the shortest, then <c>*</c>. A wildcard matches subdomains
/// only, never the parent domain itself.
/// </summary>
public sealed class RouteTable
{
    public const string DefaultPattern = "*";

    private readonly FrozenDictionary<string, Route> _byPattern;

    public RouteTable(IEnumerable<Route> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _byPattern = routes.ToFrozenDictionary(r => NormalizePattern(r.Pattern), StringComparer.Ordinal);
    }

    public static RouteTable Empty { get; } = new([]);

    public int Count => _byPattern.Count;

    public Route? Resolve(string domain)
    {
        var name = DomainName.Normalize(domain);
        if (_byPattern.TryGetValue(name, out var exact))
        {
            return exact;
        }

        for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = name.IndexOf('.', dot + 1))
        {
            if (_byPattern.TryGetValue(string.Concat("*", name.AsSpan(dot)), out var wildcard))
            {
                return wildcard;
            }
        }

        return _byPattern.GetValueOrDefault(DefaultPattern);
    }

    /// <summary>Patterns are stored and compared as lower-case A-labels, so <c>*.Bücher.example</c> and <c>*.xn--bcher-kva.example</c> are one row.</summary>
    public static string NormalizePattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var trimmed = pattern.Trim();
        if (trimmed == DefaultPattern)
        {
            return DefaultPattern;
        }

        return trimmed.StartsWith("*.", StringComparison.Ordinal)
            ? "*." + DomainName.Normalize(trimmed[2..])
            : DomainName.Normalize(trimmed);
    }
}
