using System.Diagnostics;
using System.Net;
using System.Security.Authentication;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Users;

namespace MtaServerless.Edge.Sessions;

/// <summary>The protocol state of one connection: who the client is and the open mail transaction. No I/O here.</summary>
internal sealed class SmtpSession(SmtpServerContext server, string connectionId, EdgeListenerOptions listener, IPEndPoint remote)
{
    private readonly List<EnvelopeRecipient> _recipients = [];
    private string _mailFrom = string.Empty;
    private MailParameters _parameters = MailParameters.None;
    private InboundDocumentBudget? _budget;
    private bool _extended;

    public SmtpServerContext Server { get; } = server;

    public string ConnectionId { get; } = connectionId;

    public EdgeListenerOptions Listener { get; } = listener;

    public IPAddress ClientAddress { get; } = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;

    public bool IsTrusted { get; } = server.IsTrusted(remote.Address);

    public SmtpState State { get; set; } = SmtpState.Connected;

    public string Helo { get; private set; } = string.Empty;

    /// <summary>The negotiated protocol and cipher once TLS is up.</summary>
    public string? Tls { get; private set; }

    /// <summary>The negotiated TLS protocol (e.g. <c>Tls13</c>) as telemetry reports it, or <c>none</c>.</summary>
    public string TlsProtocol { get; private set; } = "none";

    /// <summary>The logged-in account, as the users table had it at AUTH.</summary>
    public UserAccount? Account { get; private set; }

    public string? AuthUser => Account?.Name;

    /// <summary>Whom <see cref="Account"/> may send as.</summary>
    public SenderPermissions? Senders { get; private set; }

    /// <summary>
    /// The account whose sender addresses and sending limits apply: the logged-in one, unless the client is in a
    /// trusted network, which may relay as anyone without AUTH and so gains nothing by a check after it.
    /// </summary>
    public UserAccount? RestrictedAccount => IsTrusted ? null : Account;

    /// <summary>The session's span; each transaction's span links to it.</summary>
    public Activity? Span { get; set; }

    /// <summary>When the open transaction's MAIL command was accepted.</summary>
    public DateTimeOffset TransactionStartedAt { get; private set; }

    public bool IsSecure => Tls is not null;

    /// <summary>
    /// The <c>with</c> keyword of the Received header: RFC 3848's SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, or for a
    /// transaction that declared SMTPUTF8 RFC 6531 3.7.3's UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA.
    /// </summary>
    public string Protocol => !_extended ? "SMTP" : (SmtpUtf8 ? "UTF8SMTP" : "ESMTP") + (IsSecure ? "S" : string.Empty) + (AuthUser is null ? string.Empty : "A");

    /// <summary>Whether a transaction may be opened without AUTH: the submission roles need it (RFC 6409).</summary>
    public bool MayStartTransaction => Listener.Role == ListenerRole.Mx || AuthUser is not null;

    /// <summary>Whether this client may send to domains whose route does not accept inbound mail.</summary>
    public bool MayRelay => AuthUser is not null || IsTrusted;

    public bool SmtpUtf8 => _parameters.SmtpUtf8;

    public int RecipientCount => _recipients.Count;

    /// <summary>The code of the last reply sent (221 after QUIT, 421 when the edge closed the session); 0 when none was.</summary>
    public int LastReplyCode { get; set; }

    /// <summary>Refused commands so far; too many close the session.</summary>
    public int Errors { get; set; }

    public int AuthFailures { get; set; }

    /// <summary>An AUTH exchange waiting for the client's next line (RFC 4954 continuation).</summary>
    public AuthExchange? PendingAuth { get; set; }

    /// <summary>The body of the open transaction, from DATA's 354 or the first BDAT until it is committed or refused.</summary>
    public MessageReceiver? Message { get; set; }

    /// <summary>When the body of the open transaction must be complete.</summary>
    public DateTimeOffset BodyDeadline { get; set; }

    /// <summary>Set by STARTTLS's 220: the connection switches to TLS before it reads another byte.</summary>
    public bool TlsRequested { get; set; }

    public void Identify(string helo, bool extended)
    {
        Helo = helo;
        _extended = extended;
        ResetTransaction();
    }

    /// <summary>After the TLS handshake: RFC 3207 4.2, everything learnt in plaintext is forgotten.</summary>
    public void Secure(string tls, SslProtocols protocol)
    {
        Tls = tls;
        TlsProtocol = protocol.ToString();
        Helo = string.Empty;
        _extended = false;
        Account = null;
        Senders = null;
        State = SmtpState.Connected;
        ResetTransaction();
    }

    public void Authenticate(UserAccount account)
    {
        Account = account;
        Senders = SenderPermissions.For(account);
    }

    public void StartTransaction(string mailFrom, MailParameters parameters)
    {
        Clear(mailFrom, parameters);
        TransactionStartedAt = Server.Time.GetUtcNow();
    }

    /// <returns>False when the transaction's queue document has no room left for this recipient.</returns>
    public bool TryAddRecipient(EnvelopeRecipient recipient)
    {
        _budget ??= InboundDocumentBudget.For(CreateEnvelope(), CreateSessionInfo(TransactionStartedAt));
        if (!_budget.TryAdd(recipient))
        {
            return false;
        }

        _recipients.Add(recipient);
        return true;
    }

    public void ResetTransaction() => Clear(string.Empty, MailParameters.None);

    public Envelope CreateEnvelope() =>
        new(_mailFrom, [.. _recipients], _parameters.Body, _parameters.SmtpUtf8, _parameters.Size, _parameters.Ret, _parameters.EnvId);

    public SessionInfo CreateSessionInfo(DateTimeOffset receivedAt) =>
        new(ClientAddress.ToString(), Helo, Protocol, Listener.Name, receivedAt, Server.Options.HostName, Tls, AuthUser, Listener.Role != ListenerRole.Mx, IsTrusted);

    private void Clear(string mailFrom, MailParameters parameters)
    {
        _mailFrom = mailFrom;
        _parameters = parameters;
        _recipients.Clear();
        _budget = null;
    }
}

/// <summary>The MAIL FROM parameters the envelope keeps.</summary>
internal sealed record MailParameters(string? Body, bool SmtpUtf8, long? Size, DsnReturn? Ret, string? EnvId)
{
    public static MailParameters None { get; } = new(null, false, null, null, null);
}
