namespace MtaServerless.Pipeline.Deliver;

/// <summary>What the next hop (or this MTA on its behalf) said about one recipient: the SMTP reply code and text.</summary>
public sealed record RecipientOutcome(string Recipient, int Code, string Reply)
{
    public bool IsSuccess => Code is >= 200 and < 300;

    public bool IsTransient => Code is >= 400 and < 500;
}

/// <param name="RemoteHost">The host that gave the replies, or the last one tried; empty when none was.</param>
/// <param name="Tls">The TLS protocol negotiated with that host (e.g. <c>Tls13</c>); null without TLS or without a connection.</param>
public sealed record RelayResult(string RemoteHost, IReadOnlyList<RecipientOutcome> Outcomes, string? Tls = null)
{
    public static RelayResult ForAll(string remoteHost, IEnumerable<string> recipients, int code, string reply) =>
        new(remoteHost, recipients.Select(r => new RecipientOutcome(r, code, reply)).ToList());
}

/// <summary>MAIL FROM, the recipients of this hop, and whether the message needs SMTPUTF8.</summary>
public sealed record RelayEnvelope(string MailFrom, IReadOnlyList<string> Recipients, bool SmtpUtf8, DsnRequest? Dsn = null);

/// <summary>
/// The RFC 3461 parameters the client gave the edge, passed on to a next hop that offers DSN
/// (RFC 3461 section 6.2): RET and ENVID of MAIL, NOTIFY of each RCPT.
/// </summary>
public sealed record DsnRequest(string? Ret, string? EnvId, IReadOnlyDictionary<string, string> Notify)
{
    public bool IsEmpty => Ret is null && EnvId is null && Notify.Count == 0;
}
