using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace MtaServerless.Core.Telemetry;

/// <summary>Turns a recipient address into what telemetry may show of it, by <see cref="TelemetryOptions.RecipientAddresses"/>.</summary>
public sealed class RecipientAddressProtector(IOptions<TelemetryOptions> options)
{
    private readonly RecipientAddressMode _mode = options.Value.RecipientAddresses;
    private readonly byte[] _hashKey = Encoding.UTF8.GetBytes(options.Value.RecipientHashKey ?? string.Empty);

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

    /// <summary>Keyed, so that only who holds the key can tell which address a hash stands for.</summary>
    private string Hash(string address)
    {
        Span<byte> digest = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_hashKey, Encoding.UTF8.GetBytes(address.ToLowerInvariant()), digest);
        return "hmac:" + Convert.ToHexStringLower(digest[..16]);
    }
}
