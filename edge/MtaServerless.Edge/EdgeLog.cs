using System.Net;
using Microsoft.Extensions.Logging;
using MtaServerless.Edge.Limits;

namespace MtaServerless.Edge;

/// <summary>Every log line of the edge; event ids are stable (2000-2999), dashboards and alerts key on them.</summary>
internal static partial class EdgeLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "SMTP listener {Listener} accepting on {Endpoint}")]
    public static partial void ListenerStarted(ILogger logger, string listener, EndPoint endpoint);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "SMTP listener {Listener} stopped accepting")]
    public static partial void ListenerStopped(ILogger logger, string listener);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "SMTP listener {Listener} failed to accept a connection")]
    public static partial void AcceptFailed(ILogger logger, string listener, Exception exception);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Remote} on listener {Listener}")]
    public static partial void SessionStarted(ILogger logger, string connectionId, EndPoint remote, string listener);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "Connection {ConnectionId} closed")]
    public static partial void SessionEnded(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Connection {ConnectionId} timed out")]
    public static partial void SessionTimedOut(ILogger logger, string connectionId);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Debug, Message = "Connection {ConnectionId} lost")]
    public static partial void ConnectionLost(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Error, Message = "Connection {ConnectionId} failed")]
    public static partial void SessionFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: {Verb} refused with {Reply}")]
    public static partial void CommandRefused(ILogger logger, string connectionId, string verb, int reply);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Connection {ConnectionId}: message {MessageId} queued for {Recipients} recipient(s)")]
    public static partial void MessageQueued(ILogger logger, string connectionId, string messageId, int recipients);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: could not start a spool transaction")]
    public static partial void SpoolBeginFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: could not write message {MessageId} to the spool")]
    public static partial void SpoolWriteFailed(ILogger logger, string connectionId, string messageId, Exception exception);

    [LoggerMessage(EventId = 2033, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: could not commit message {MessageId}")]
    public static partial void SpoolCommitFailed(ILogger logger, string connectionId, string messageId, Exception exception);

    [LoggerMessage(EventId = 2034, Level = LogLevel.Information, Message = "Connection {ConnectionId}: message {MessageId} refused: {Fault}")]
    public static partial void MessageRefused(ILogger logger, string connectionId, string messageId, string fault);

    [LoggerMessage(EventId = 2035, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: could not read routes or users")]
    public static partial void DirectoryFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2036, Level = LogLevel.Information, Message = "Connection {ConnectionId}: relay to {Domain} denied")]
    public static partial void RelayDenied(ILogger logger, string connectionId, string domain);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Debug, Message = "Connection {ConnectionId}: TLS established, {Tls}")]
    public static partial void TlsEstablished(ILogger logger, string connectionId, string tls);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Information, Message = "Connection {ConnectionId}: TLS handshake failed")]
    public static partial void TlsHandshakeFailed(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: {Length} octets pipelined after STARTTLS discarded")]
    public static partial void PlaintextDiscarded(ILogger logger, string connectionId, long length);

    [LoggerMessage(EventId = 2043, Level = LogLevel.Information, Message = "TLS certificate {Subject} loaded, valid until {NotAfter}")]
    public static partial void CertificateLoaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(EventId = 2044, Level = LogLevel.Error, Message = "TLS certificate files changed but could not be loaded; the previous certificate stays in use")]
    public static partial void CertificateReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "Connection {ConnectionId}: authenticated as {User}")]
    public static partial void Authenticated(ILogger logger, string connectionId, string user);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: authentication failed ({Failures} so far)")]
    public static partial void AuthenticationFailed(ILogger logger, string connectionId, int failures);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: closed after {Errors} errors and {AuthFailures} failed logins")]
    public static partial void TooManyErrors(ILogger logger, string connectionId, int errors, int authFailures);

    [LoggerMessage(EventId = 2053, Level = LogLevel.Warning, Message = "Connection {ConnectionId}: failed logins now throttled for {Scope} {Key}")]
    public static partial void AuthThrottled(ILogger logger, string connectionId, AuthThrottleScope scope, string key);

    [LoggerMessage(EventId = 2054, Level = LogLevel.Information, Message = "Connection {ConnectionId}: AUTH refused, {Scope} throttled after failed logins")]
    public static partial void AuthRefusedThrottled(ILogger logger, string connectionId, AuthThrottleScope scope);

    [LoggerMessage(EventId = 2055, Level = LogLevel.Information, Message = "Connection {ConnectionId}: {User} may not send as the address in {Where}")]
    public static partial void SenderRefused(ILogger logger, string connectionId, string user, string where);

    [LoggerMessage(EventId = 2056, Level = LogLevel.Information, Message = "Connection {ConnectionId}: {User} reached its limit of {Limit} {Kind}")]
    public static partial void SendingLimited(ILogger logger, string connectionId, string user, int limit, SendingLimit kind);

    [LoggerMessage(EventId = 2061, Level = LogLevel.Warning, Message = "Connection {ConnectionId} closed: invalid PROXY protocol header")]
    public static partial void ProxyHeaderInvalid(ILogger logger, string connectionId, Exception exception);

    [LoggerMessage(EventId = 2062, Level = LogLevel.Warning, Message = "Connection {ConnectionId} from {Remote} on listener {Listener} closed: not from Edge:ProxyNetworks, so its PROXY protocol header is not believed")]
    public static partial void ProxyPeerRefused(ILogger logger, string connectionId, EndPoint remote, string listener);

    [LoggerMessage(EventId = 2060, Level = LogLevel.Warning, Message = "Connection from {Remote} refused: connection limit reached")]
    public static partial void ConnectionLimited(ILogger logger, EndPoint remote);
}
