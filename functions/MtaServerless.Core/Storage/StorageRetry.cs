using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace MtaServerless.Core.Storage;

/// <summary>
/// How often and how soon the storage clients retry. The edge keeps an SMTP client waiting while it
/// retries, so an operator may want fewer, faster retries than the SDK's default (5, from 0.8 s).
/// </summary>
public sealed record StorageRetry(int MaxRetries, TimeSpan Delay)
{
    /// <returns>Null when the section sets nothing, so that the SDK's defaults apply.</returns>
    /// <exception cref="FormatException">A value is not a number or a TimeSpan.</exception>
    public static StorageRetry? FromConfiguration(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var maxRetries = section["maxRetries"];
        var delay = section["delay"];
        if (maxRetries is null && delay is null)
        {
            return null;
        }

        return new StorageRetry(
            maxRetries is null ? 5 : int.Parse(maxRetries, CultureInfo.InvariantCulture),
            delay is null ? TimeSpan.FromSeconds(0.8) : TimeSpan.Parse(delay, CultureInfo.InvariantCulture));
    }
}
