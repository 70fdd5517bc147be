using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Sessions.Commands;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// Runs one SMTP session over a stream: reads through a pipe, answers every complete command, and streams
/// DATA. Replies to pipelined commands are flushed together once the buffered input is used up (RFC 2920).
/// </summary>
internal sealed class SmtpConnection
{
    // A last reply to a client that no longer reads must not hold the session open.
    private static readonly TimeSpan FinalReplyTimeout = TimeSpan.FromSeconds(5);

    private readonly SmtpSession _session;

    // Built over the stream rather than the socket so that STARTTLS can rebuild both over an SslStream.
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private SmtpLineReader _lines;

    public SmtpConnection(SmtpServerContext server, Stream stream, string connectionId, string listener, IPEndPoint remote)
    {
        _session = new SmtpSession(server, connectionId, listener, remote);
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    private SmtpServerContext Server => _session.Server;

    public async Task RunAsync(CancellationToken shutdown)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        try
        {
            SmtpReplies.Greeting(Server.Options.HostName).WriteTo(_writer);
            var open = true;
            while (true)
            {
                await FlushAsync(idle).ConfigureAwait(false);
                if (!open)
                {
                    break;
                }

                open = await ReadAndAnswerAsync(idle, shutdown).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            await SendFinalAsync(SmtpRejection.ShuttingDown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            EdgeLog.SessionTimedOut(Server.Logger, _session.ConnectionId);
            await SendFinalAsync(SmtpRejection.Timeout).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            EdgeLog.ConnectionLost(Server.Logger, _session.ConnectionId, ex);
        }
        finally
        {
            if (_session.Data is { } data)
            {
                // Never committed, so disposing removes what was spooled.
                await data.DisposeAsync().ConfigureAwait(false);
            }

            await _reader.CompleteAsync().ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <returns>False when the session is over: QUIT, or the client closed its side.</returns>
    private async Task<bool> ReadAndAnswerAsync(CancellationTokenSource idle, CancellationToken shutdown)
    {
        idle.CancelAfter(Server.Options.CommandTimeout);
        var result = await _reader.ReadAsync(idle.Token).ConfigureAwait(false);
        idle.CancelAfter(Timeout.InfiniteTimeSpan);
        var consumed = result.Buffer.Start;
        try
        {
            var (remaining, closed) = await AnswerAsync(result.Buffer, shutdown).ConfigureAwait(false);
            consumed = remaining.Start;
            return !closed && !result.IsCompleted;
        }
        finally
        {
            _reader.AdvanceTo(consumed, result.Buffer.End);
        }
    }

    /// <summary>Answers every complete command in the buffer, and passes DATA bytes on.</summary>
    private async ValueTask<(ReadOnlySequence<byte> Remaining, bool Closed)> AnswerAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_session.Data is { } data)
            {
                var (complete, consumed) = await data.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(consumed);
                if (!complete)
                {
                    return (buffer, false);
                }

                var reply = await data.CompleteAsync(cancellationToken).ConfigureAwait(false);
                _session.Data = null;
                await data.DisposeAsync().ConfigureAwait(false);
                reply.WriteTo(_writer);
                continue;
            }

            switch (_lines.Read(ref buffer, out var line))
            {
                case LineStatus.NeedMore:
                    return (buffer, false);
                case LineStatus.TooLong:
                    Refuse(null, SmtpRejection.LineTooLong).WriteTo(_writer);
                    break;
                case LineStatus.Line:
                    (await ExecuteAsync(line, cancellationToken).ConfigureAwait(false)).WriteTo(_writer);
                    if (_session.State == SmtpState.Closed)
                    {
                        return (buffer, true);
                    }

                    break;
            }
        }
    }

    private async ValueTask<SmtpReply> ExecuteAsync(ReadOnlySequence<byte> line, CancellationToken cancellationToken)
    {
        if (!SmtpCommandParser.TryParse(line, out var command, out var rejection))
        {
            return Refuse(null, rejection);
        }

        if (!SmtpStateTable.TryGetNext(_session.State, command.Verb, out var next))
        {
            return Refuse(command.Verb, SmtpRejection.BadSequence);
        }

        var argument = command.Argument;
        var reply = command.Verb switch
        {
            SmtpVerb.Helo => HeloCommand.Handle(_session, argument),
            SmtpVerb.Ehlo => EhloCommand.Handle(_session, argument),
            SmtpVerb.Mail => MailCommand.Handle(_session, argument),
            SmtpVerb.Rcpt => RcptCommand.Handle(_session, argument),
            SmtpVerb.Data => await DataCommand.HandleAsync(_session, argument, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Rset => RsetCommand.Handle(_session, argument),
            SmtpVerb.Noop => NoopCommand.Handle(),
            SmtpVerb.Quit => QuitCommand.Handle(argument),
            _ => throw new InvalidOperationException($"No handler for {command.Verb}."),
        };

        if (reply.IsPositive)
        {
            _session.State = next;
        }
        else
        {
            EdgeLog.CommandRefused(Server.Logger, _session.ConnectionId, command.Verb.ToString(), reply.Code);
        }

        return reply;
    }

    private SmtpReply Refuse(SmtpVerb? verb, SmtpRejection rejection)
    {
        var reply = SmtpRejections.Reply(rejection);
        EdgeLog.CommandRefused(Server.Logger, _session.ConnectionId, verb?.ToString() ?? "(unparsed)", reply.Code);
        return reply;
    }

    private async ValueTask FlushAsync(CancellationTokenSource idle)
    {
        idle.CancelAfter(Server.Options.CommandTimeout);
        await _writer.FlushAsync(idle.Token).ConfigureAwait(false);
        idle.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    private async ValueTask SendFinalAsync(SmtpRejection rejection)
    {
        using var timeout = new CancellationTokenSource(FinalReplyTimeout);
        try
        {
            SmtpRejections.Reply(rejection).WriteTo(_writer);
            await _writer.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            EdgeLog.ConnectionLost(Server.Logger, _session.ConnectionId, ex);
        }
    }
}
