using System.Text.Json.Serialization;

namespace MtaServerless.Core.Documents;

/// <summary>What Ingest did about signing a message, carried by its delivery tasks into the <c>Dkim</c> dimension of <c>mta.recipient.delivered</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DkimStatus>))]
public enum DkimStatus
{
    /// <summary>Not from a user of ours nor a DSN of ours (mail from the internet): not ours to sign. Also what tasks written before signing existed say.</summary>
    [JsonStringEnumMemberName("not-ours")]
    NotOurs,

    /// <summary>Signed with the keys of the <c>From:</c> domain.</summary>
    [JsonStringEnumMemberName("signed")]
    Signed,

    /// <summary>From a user of ours, but the <c>From:</c> domain has no key: sent unsigned.</summary>
    [JsonStringEnumMemberName("no-key")]
    NoKey,

    /// <summary>From a user of ours, but the header section names no one <c>From:</c> domain to sign for: sent unsigned.</summary>
    [JsonStringEnumMemberName("no-from-domain")]
    NoFromDomain,
}

/// <summary>The names of <see cref="DkimStatus"/> as documents and telemetry write them.</summary>
public static class DkimStatusNames
{
    public static string ToName(DkimStatus status) => status switch
    {
        DkimStatus.NotOurs => "not-ours",
        DkimStatus.Signed => "signed",
        DkimStatus.NoKey => "no-key",
        DkimStatus.NoFromDomain => "no-from-domain",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
