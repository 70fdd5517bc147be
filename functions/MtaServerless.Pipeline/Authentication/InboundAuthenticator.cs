using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.IO;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Authentication.Spf;
using MtaServerless.Pipeline.Bounce;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Pipeline.Authentication;

/// <summary>
/// Checks a message received from elsewhere, in Ingest: SPF for the client, HELO and MAIL FROM; every DKIM signature and
/// the ARC chain; DMARC for the <c>From:</c> domain. It reads the blob once and checks the stored bytes alone, so nothing
/// we add (trace headers) can change a result; that copy then goes to the first delivery attempt with our
/// <c>Authentication-Results:</c> field in front (and an ARC set in front of that, when we relay it) and the forged ones
/// of ours left out, which a blob of its own keeps for later attempts. Our users' mail is not checked, but loses such
/// fields too (<see cref="LeaveOutForgedAsync"/>).
/// </summary>
/// <remarks>
/// Not at the edge: it answers 250 only after the spool write, with a CPU budget of about a fifth of Postfix's, and
/// DNS lookups plus body hashing before that reply would put every sender's DNS latency into the SMTP transaction;
/// the edge cannot see routes either, which decide what a failure does.
/// </remarks>
public sealed partial class InboundAuthenticator(
    MtaStorageClients storage,
    ISpfVerifier spf,
    ISignatureVerifier signatures,
    IDmarcEvaluator dmarc,
    ArcSealer sealer,
    IOptions<AuthenticationOptions> options,
    IOptions<PipelineOptions> pipeline,
    ILogger<InboundAuthenticator> logger)
{
    /// <summary>How many author domains a message may name before its DMARC is not evaluated and counts as failing.</summary>
    private const int MaxAuthorDomains = 5;

    /// <summary>What our fields are known by: one name for every edge and instance, so that a field naming it is ours wherever it arrives.</summary>
    public string ServId => pipeline.Value.HostName;

    /// <summary>Mail from elsewhere: not from our users (logged in, trusted networks), not submitted, and not a DSN of ours.</summary>
    public bool Checks(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var session = message.Session;
        return options.Value.Enabled && !session.Submission && !session.FromOurUser && session.Listener != BounceSender.DsnListener;
    }

    /// <param name="traceHeaders">Our trace headers, which our field goes in front of.</param>
    /// <param name="forwarded">
    /// Whether, with these results, a route relays it to another MTA (an enforcing route quarantines mail that fails
    /// DMARC): then it is sealed with an ARC set (<see cref="ArcSealer"/>).
    /// </param>
    public async Task<AuthenticatedMessage> AuthenticateAsync(InboundMessage message, string traceHeaders, Func<InboundAuthentication, bool> forwarded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(forwarded);
        var stored = await StoredMessage.DownloadAsync(storage, message.Blob, traceHeaders, cancellationToken).ConfigureAwait(false);
        try
        {
            InboundAuthentication results;
            IReadOnlyList<ByteRange> forged;
            // The stored bytes alone, from their first octet: offsets are the blob's, and results are the sender's.
            using (var source = new BoundStream(stored.OpenStored(), 0, -1, leaveOpen: true))
            using (var parsed = await MimeMessage.LoadAsync(source, persistent: true, cancellationToken).ConfigureAwait(false))
            {
                forged = OwnAuthenticationResults.Find(parsed.Headers, ServId);
                results = await CheckAsync(message, parsed, cancellationToken).ConfigureAwait(false);
            }

            var blob = await LeaveOutAsync(message, stored, forged, cancellationToken).ConfigureAwait(false);
            var field = AuthenticationResultsHeader.Build(ServId, message.Envelope.MailFrom, results);
            await stored.PrependAsync(field).ConfigureAwait(false);
            LogChecked(logger, message.Id, results.Spf.Verdict, results.BestDkim, results.Dmarc.Verdict, results.Signatures.Arc.Verdict);
            var arcSeal = forwarded(results)
                ? await sealer.SealAsync(message, stored, field, results.Signatures.Arc, cancellationToken).ConfigureAwait(false)
                : ArcSealStatus.NotForwarded;
            return new AuthenticatedMessage(stored, blob, results, arcSeal);
        }
        catch
        {
            await stored.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Mail a client submitted or sent logged in: not checked, but an <c>Authentication-Results</c> field in our name that
    /// came with it is a forgery all the same (RFC 8601 5: it did not come from a trusted MTA; a trusted network's relay,
    /// which is one, keeps its fields), and a reader of a mailbox of ours would believe it.
    /// </summary>
    public bool LeavesOutForged(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return options.Value.Enabled && (message.Session.Submission || message.Session.AuthUser is not null);
    }

    /// <summary>Leaves the fields in our name out of <paramref name="stored"/>, a copy of the message's blob (<see cref="LeavesOutForged"/>).</summary>
    /// <returns>The blob the delivery tasks make their copies of: the message's, or a copy without the fields.</returns>
    public async Task<string> LeaveOutForgedAsync(InboundMessage message, StoredMessage stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(stored);
        HeaderList headers;
        using (var source = new BoundStream(stored.OpenStored(), 0, -1, leaveOpen: true))
        {
            headers = await HeaderList.LoadAsync(source, cancellationToken).ConfigureAwait(false);
        }

        return await LeaveOutAsync(message, stored, OwnAuthenticationResults.Find(headers, ServId), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> LeaveOutAsync(InboundMessage message, StoredMessage stored, IReadOnlyList<ByteRange> forged, CancellationToken cancellationToken)
    {
        if (forged.Count == 0)
        {
            return message.Blob;
        }

        // A copy of its own, not ranges in the delivery task: forgeries apart from each other, as many as the message can
        // hold, would make the task too large for its queue and its index row.
        var blob = StorageNames.CleanedBlobName(message.Blob);
        LogForgedRemoved(logger, message.Id, forged.Sum(r => r.Length), forged.Count, blob);
        await stored.LeaveOutAsync(forged, cancellationToken).ConfigureAwait(false);
        await stored.SaveStoredAsync(storage.Spool.GetBlobClient(blob), cancellationToken).ConfigureAwait(false);
        return blob;
    }

    private async Task<InboundAuthentication> CheckAsync(InboundMessage message, MimeMessage parsed, CancellationToken cancellationToken)
    {
        var session = message.Session;
        // SPF needs only the envelope: its DNS queries run while the signatures are checked.
        var spfCheck = IPAddress.TryParse(session.ClientAddress, out var client)
            ? spf.CheckAsync(client, session.Helo, message.Envelope.MailFrom, cancellationToken)
            : Task.FromResult(new SpfResult(AuthVerdict.None, session.Helo, message.Envelope.MailFrom.Length == 0, "no client address"));
        var signed = await signatures.VerifyAsync(parsed, cancellationToken).ConfigureAwait(false);
        var spfResult = await spfCheck.ConfigureAwait(false);
        var dmarcResult = await EvaluateDmarcAsync(AuthorDomain.All(parsed), spfResult, signed.Dkim, cancellationToken).ConfigureAwait(false);
        return new InboundAuthentication(spfResult, signed, dmarcResult);
    }

    /// <summary>
    /// DMARC for the author domains. Several of them (several <c>From:</c> fields, or mailboxes of several domains in one)
    /// are what a forger uses to show a protected domain beside one of its own, so each is evaluated and the strictest
    /// failure decides (RFC 7489 6.6.1; DMARCbis exempts such mail from DMARC and leaves its handling to the receiver,
    /// warning of exactly this). Past <see cref="MaxAuthorDomains"/> they are not looked up (each is a tree walk) and the
    /// message counts as failing with quarantine.
    /// </summary>
    private async Task<DmarcResult> EvaluateDmarcAsync(IReadOnlyList<string> authors, SpfResult spfResult, IReadOnlyList<DkimResult> dkim, CancellationToken cancellationToken)
    {
        switch (authors.Count)
        {
            case 0:
                // Without an author domain there is no policy to look up, and the message cannot pass. permerror, not
                // none: none would read as "the domain publishes no policy".
                return new DmarcResult(AuthVerdict.PermError, string.Empty, DmarcRequest.None, null, "no author domain in From");
            case 1:
                return await dmarc.EvaluateAsync(authors[0], spfResult, dkim, cancellationToken).ConfigureAwait(false);
            case > MaxAuthorDomains:
                return new DmarcResult(AuthVerdict.Fail, authors[0], DmarcRequest.Quarantine, null, $"{authors.Count} author domains in From, more than {MaxAuthorDomains}: not evaluated");
        }

        var results = await Task.WhenAll(authors.Select(a => dmarc.EvaluateAsync(a, spfResult, dkim, cancellationToken))).ConfigureAwait(false);
        var decisive = results.MinBy(Severity)!;
        var count = $"{authors.Count} author domains in From";
        return decisive with { Reason = decisive.Reason is null ? count : $"{decisive.Reason}; {count}" };
    }

    /// <summary>Which of several authors' results the message is judged by: the first failure a receiver acts on, before an unknown, before a pass.</summary>
    private static int Severity(DmarcResult result) => result switch
    {
        { Verdict: AuthVerdict.Fail, Disposition: DmarcRequest.Reject } => 0,
        { Verdict: AuthVerdict.Fail, Disposition: DmarcRequest.Quarantine } => 1,
        { Verdict: AuthVerdict.TempError } => 2,
        { Verdict: AuthVerdict.Fail } => 3,
        { Verdict: AuthVerdict.PermError } => 4,
        { Verdict: AuthVerdict.None } => 5,
        _ => 6,
    };

    [LoggerMessage(EventId = 3762, Level = LogLevel.Warning, Message = "Message {MessageId} came with Authentication-Results fields in our name ({Octets} octets in {Ranges} ranges): every copy is made of {Blob}, without them")]
    private static partial void LogForgedRemoved(ILogger logger, string messageId, long octets, int ranges, string blob);

    [LoggerMessage(EventId = 3763, Level = LogLevel.Debug, Message = "Message {MessageId} checked: SPF {Spf}, DKIM {Dkim}, DMARC {Dmarc}, ARC {Arc}")]
    private static partial void LogChecked(ILogger logger, string messageId, AuthVerdict spf, AuthVerdict dkim, AuthVerdict dmarc, AuthVerdict arc);
}
