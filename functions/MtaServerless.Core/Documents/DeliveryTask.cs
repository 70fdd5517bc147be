namespace MtaServerless.Core.Documents;

/// <summary>
/// The <c>delivery</c> queue document: recipients of one message to attempt together. Ingest makes one
/// per next hop; Deliver resolves every recipient's route again at each attempt (route edits apply to
/// retries), so a task names no route, and one made by the sweeper may span several hops. Documents
/// written before that carry a <c>route</c>, which is ignored.
/// </summary>
/// <param name="Blob">
/// The spool blob every copy is made of (relay, mailbox, quarantine, a DSN's returned message): the one the edge wrote, or
/// Ingest's copy of it without the <c>Authentication-Results</c> fields that came in our name.
/// </param>
/// <param name="Headers">Our header fields (DKIM signatures, then trace headers), CRLF-terminated, sent before the stored blob, which is never rewritten.</param>
/// <param name="Attempt">1 for the first attempt; a re-scheduled task carries the next number.</param>
/// <param name="FirstAttemptAt">When the message was accepted; retries stop at the maximum lifetime counted from here.</param>
/// <param name="Ret">The MAIL RET parameter (RFC 3461): what a failure DSN returns of the message.</param>
/// <param name="EnvId">The MAIL ENVID parameter, decoded; passed on to a next hop that offers DSN and echoed as Original-Envelope-Id in our DSNs.</param>
/// <param name="DelayWarned">True once a delay-warning DSN went out for this task's recipients.</param>
/// <param name="Body">The client's MAIL BODY parameter, passed on to a next hop that offers 8BITMIME.</param>
/// <param name="Dkim">Whether Ingest signed the message (the signature itself is in <paramref name="Headers"/>).</param>
/// <param name="Redriven">
/// True when the sweeper made the task from the stored state because the recipients' own task was lost,
/// poisoned or late: past the maximum lifetime, such a task bounces them without another attempt.
/// </param>
/// <param name="DmarcFailed">
/// The message failed DMARC and its <c>From:</c> domain asks for such mail to be rejected or quarantined: a route whose
/// DMARC policy is <c>enforce</c> quarantines it.
/// </param>
public sealed record DeliveryTask(
    string Id,
    string Blob,
    string MailFrom,
    IReadOnlyList<string> Recipients,
    string Headers,
    int Attempt,
    DateTimeOffset FirstAttemptAt,
    bool SmtpUtf8,
    string? TraceParent = null,
    DsnReturn? Ret = null,
    string? EnvId = null,
    bool DelayWarned = false,
    string? Body = null,
    bool Redriven = false,
    DkimStatus Dkim = DkimStatus.NotOurs,
    bool DmarcFailed = false) : IVersionedDocument
{
    public int V { get; init; } = DocumentVersion.Current;
}
