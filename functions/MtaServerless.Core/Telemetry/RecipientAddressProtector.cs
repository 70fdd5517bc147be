using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace MtaServerless.Core.Telemetry;

/// <summary>Turns a recipient address into what telemetry may show of it, by <see cref="TelemetryOptions.RecipientAddresses"/>.</summary>
public sealed class RecipientAddressProtector(IOptions<TelemetryOptions> options)
{
    private readonly RecipientAddressMode _mode = options.Value.RecipientAddresses;

    public string Protect(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return _mode switch
        {
            RecipientAddressMode.Clear => address,
            RecipientAddressMode.Hashed => Hash(address),
            _ => Mask(address),
        };
    }

    private static string Mask(string address)
    {
        var at = address.LastIndexOf('@');
        return at <= 0 ? "***" : $"{address[0]}***{address[at..]}";
    }

    private static string Hash(string address)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(address.ToLowerInvariant()), digest);
        return "sha256:" + Convert.ToHexStringLower(digest[..16]);
    }
}
