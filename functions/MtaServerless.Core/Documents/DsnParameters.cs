using System.Text.Json;
using System.Text.Json.Serialization;

namespace MtaServerless.Core.Documents;

/// <summary>The RCPT NOTIFY parameter (RFC 3461 4.1): which delivery status notifications the sender wants for a recipient.</summary>
[Flags]
[JsonConverter(typeof(DsnNotifyJsonConverter))]
public enum DsnNotify
{
    /// <summary>No NOTIFY given: this MTA decides (failures and delays are reported).</summary>
    None = 0,
    Success = 1,
    Failure = 2,
    Delay = 4,

    /// <summary>No DSN at all, whatever happens; never combined with the others.</summary>
    Never = 8,
}

/// <summary>The MAIL RET parameter (RFC 3461 4.3): how much of the message a failure DSN returns.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DsnReturn>))]
public enum DsnReturn
{
    [JsonStringEnumMemberName("FULL")]
    Full,

    [JsonStringEnumMemberName("HDRS")]
    Headers,
}

/// <summary>The RCPT ORCPT parameter (RFC 3461 4.2) decoded from xtext: the address the sender originally gave, and its type.</summary>
[JsonConverter(typeof(OriginalRecipientJsonConverter))]
public sealed record OriginalRecipient(string AddressType, string Address)
{
    /// <summary>Reads <c>rfc822;bob@example.com</c>, the decoded form <see cref="ToString"/> writes.</summary>
    public static OriginalRecipient? TryParse(string? value) =>
        value?.IndexOf(';', StringComparison.Ordinal) is > 0 and var semicolon && semicolon < value.Length - 1
            ? new OriginalRecipient(value[..semicolon], value[(semicolon + 1)..])
            : null;

    public override string ToString() => $"{AddressType};{Address}";
}

/// <summary>NOTIFY keywords as RFC 3461 writes them.</summary>
public static class DsnNotifyKeywords
{
    public static string Format(DsnNotify notify) =>
        notify.HasFlag(DsnNotify.Never) ? "NEVER" : string.Join(',', Keywords(notify));

    /// <returns>False for an empty list, an unknown or repeated keyword, or NEVER with another one.</returns>
    public static bool TryParse(string value, out DsnNotify notify)
    {
        ArgumentNullException.ThrowIfNull(value);
        notify = DsnNotify.None;
        foreach (var keyword in value.Split(','))
        {
            var flag = keyword.ToUpperInvariant() switch
            {
                "SUCCESS" => DsnNotify.Success,
                "FAILURE" => DsnNotify.Failure,
                "DELAY" => DsnNotify.Delay,
                "NEVER" => DsnNotify.Never,
                _ => DsnNotify.None,
            };
            if (flag == DsnNotify.None || notify.HasFlag(flag))
            {
                return false;
            }

            notify |= flag;
        }

        return notify != DsnNotify.None && (notify == DsnNotify.Never || !notify.HasFlag(DsnNotify.Never));
    }

    /// <summary>Whether a DSN of this kind is wanted; without NOTIFY the MTA reports failures and delays (RFC 3461 4.1).</summary>
    public static bool Wants(DsnNotify notify, DsnNotify kind) =>
        notify == DsnNotify.None ? kind is DsnNotify.Failure or DsnNotify.Delay : notify.HasFlag(kind);

    private static IEnumerable<string> Keywords(DsnNotify notify)
    {
        if (notify.HasFlag(DsnNotify.Success))
        {
            yield return "SUCCESS";
        }

        if (notify.HasFlag(DsnNotify.Failure))
        {
            yield return "FAILURE";
        }

        if (notify.HasFlag(DsnNotify.Delay))
        {
            yield return "DELAY";
        }
    }
}

/// <summary>Queue documents keep NOTIFY as the RFC's own keywords (<c>"SUCCESS,FAILURE"</c>), readable in any queue browser.</summary>
internal sealed class DsnNotifyJsonConverter : JsonConverter<DsnNotify>
{
    public override DsnNotify Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DsnNotifyKeywords.TryParse(reader.GetString() ?? string.Empty, out var notify) ? notify : throw new JsonException("Not a NOTIFY value.");

    public override void Write(Utf8JsonWriter writer, DsnNotify value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(DsnNotifyKeywords.Format(value));
    }
}

internal sealed class OriginalRecipientJsonConverter : JsonConverter<OriginalRecipient>
{
    public override OriginalRecipient Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        OriginalRecipient.TryParse(reader.GetString()) ?? throw new JsonException("Not an ORCPT value.");

    public override void Write(Utf8JsonWriter writer, OriginalRecipient value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.ToString());
    }
}
