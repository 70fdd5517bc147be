using System.Globalization;

namespace MtaServerless.Pipeline.Authentication.Signatures;

/// <summary>Domains and selectors as DNS asks for them and RFC 8601 reports them: A-labels in lowercase (RFC 8616 3).</summary>
internal static class DkimNames
{
    private static readonly IdnMapping Idn = new();

    /// <returns>Null for a value no DNS name can be made of.</returns>
    public static string? ToALabel(string name)
    {
        if (name.Length == 0 || name.Length > 253)
        {
            return null;
        }

        if (name.All(char.IsAscii))
        {
            // Selectors and A-labels may hold what IDNA refuses (underscores, say); DNS carries them as they are.
            return name.Split('.').All(label => label.Length is > 0 and <= 63) ? name.ToLowerInvariant() : null;
        }

        try
        {
            return Idn.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The RFC 8601 <c>header.d</c> of a signature that may be too malformed for <see cref="ToALabel"/>.</summary>
    public static string Reported(string? name) => name is null ? string.Empty : ToALabel(name) ?? name.ToLowerInvariant();
}
