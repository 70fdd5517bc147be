using System.Globalization;

namespace MtaServerless.Core.Mail;

/// <summary>Domains are compared as lower-case A-labels (RFC 5890) without a trailing dot.</summary>
public static class DomainName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <exception cref="FormatException">The name is not a valid domain.</exception>
    public static string Normalize(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var name = domain.Trim().TrimEnd('.');
        if (name.Length == 0)
        {
            throw new FormatException("A domain name is empty.");
        }

        try
        {
            // Lower-case first: IDNA would otherwise encode an upper-case non-ASCII letter as a different A-label.
            return Idn.GetAscii(name.ToLowerInvariant());
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"'{domain}' is not a valid domain name.", ex);
        }
    }

    public static bool TryNormalize(string domain, out string normalized)
    {
        try
        {
            normalized = Normalize(domain);
            return true;
        }
        catch (FormatException)
        {
            normalized = string.Empty;
            return false;
        }
    }
}
