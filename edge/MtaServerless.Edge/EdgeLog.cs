using System.Net;
using Microsoft.Extensions.Logging;

namespace MtaServerless.Edge;

/// <summary>Every log line of the edge; event ids are stable (2000-2099), dashboards and alerts key on them.</summary>
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

    [LoggerMessage(EventId = 2034, Level = LogLevel.Information, Message = "Connection {ConnectionId}: message {MessageId} refused for a bare CR or LF")]
    public static partial void BareLineBreakInData(ILogger logger, string connectionId, string messageId);
}
