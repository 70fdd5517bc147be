using System.Text.Json.Serialization;

namespace MtaServerless.Core.Documents;

/// <summary>The <c>inbound</c> queue document: one accepted SMTP transaction.</summary>
/// <param name="ReceivedHeaders">The <c>Received:</c> fields in the stored message's header section, counted as the spool wrote it, so the loop check needs no read of the blob.</param>
/// <param name="HasMessageId">The stored header section has a <c>Message-ID:</c> field (seen as the spool wrote it; false in documents older than the field).</param>
/// <param name="HasDate">The stored header section has a <c>Date:</c> field, likewise.</param>
public sealed record InboundMessage(
    string Id,
    string Blob,
    Envelope Envelope,
    SessionInfo Session,
    string? TraceParent = null,
    int ReceivedHeaders = 0,
    bool HasMessageId = false,
    bool HasDate = false) : IVersionedDocument
{
    public int V { get; init; } = DocumentVersion.Current;
}

/// <summary>MAIL FROM and its parameters, and the accepted recipients with their DSN parameters.</summary>
/// <param name="MailFrom">The reverse path without angle brackets; empty for the null sender <c>&lt;&gt;</c>.</param>
/// <param name="Body">The MAIL BODY parameter (RFC 6152): <c>7BIT</c> or <c>8BITMIME</c>; null when the client gave none.</param>
/// <param name="EnvId">The MAIL ENVID parameter (RFC 3461 4.4), decoded from xtext.</param>
public sealed record Envelope(
    string MailFrom,
    IReadOnlyList<EnvelopeRecipient> Recipients,
    string? Body = null,
    bool SmtpUtf8 = false,
    long? DeclaredSize = null,
    DsnReturn? Ret = null,
    string? EnvId = null);

/// <param name="Notify">The RCPT NOTIFY parameter; <see cref="DsnNotify.None"/> when the client gave none.</param>
/// <param name="Orcpt">The RCPT ORCPT parameter, decoded from xtext.</param>
public sealed record EnvelopeRecipient(
    string Address,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] DsnNotify Notify = DsnNotify.None,
    OriginalRecipient? Orcpt = null);

/// <summary>What the edge knew about the client when it accepted the message; it becomes the <c>Received:</c> header.</summary>
/// <param name="Protocol">The RFC 3848 <c>with</c> keyword: SMTP, ESMTP, ESMTPS, ESMTPA or ESMTPSA.</param>
/// <param name="Tls">The negotiated protocol and cipher, when the session was encrypted.</param>
/// <param name="Submission">It came in on a submission listener (RFC 6409), where a message lacking a Message-ID or a Date gets one.</param>
/// <param name="Trusted">The client is in <c>Edge:TrustedNetworks</c>: a relay of ours, whose mail is signed like a logged-in user's.</param>
public sealed record SessionInfo(
    string ClientAddress,
    string Helo,
    string Protocol,
    string Listener,
    DateTimeOffset ReceivedAt,
    string EdgeHost,
    string? Tls = null,
    string? AuthUser = null,
    bool Submission = false,
    bool Trusted = false)
{
    /// <summary>Mail from our own users (logged in, or relayed by a trusted network): signed with the keys of its <c>From:</c> domain.</summary>
    [JsonIgnore]
    public bool FromOurUser => AuthUser is not null || Trusted;
}
