using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using MtaServerless.Edge.Protocol;
using MtaServerless.Edge.Sessions.Commands;
using MtaServerless.Edge.Telemetry;
using MtaServerless.Edge.Tls;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// Runs one SMTP session over a stream: reads through a pipe, answers every complete command, and streams
/// DATA and BDAT. Replies to pipelined commands are flushed together once the buffered input is used up
/// (RFC 2920). STARTTLS rebuilds the pipe over TLS and throws away whatever plaintext followed the command.
/// </summary>
internal sealed class SmtpConnection
{
    // A last reply to a client that no longer reads must not hold the session open.
    private static readonly TimeSpan FinalReplyTimeout = TimeSpan.FromSeconds(5);

    private readonly SmtpSession _session;
    private readonly Stream _transport;
    private SslStream? _tls;

    // Built over the stream rather than the socket so that TLS can rebuild both over an SslStream.
    private PipeReader _reader;
    private PipeWriter _writer;
    private SmtpLineReader _lines;

    // Octets of a refused BDAT chunk still to be thrown away.
    private long _discard;
    private volatile bool _draining;

    public SmtpConnection(SmtpServerContext server, Stream stream, string connectionId, EdgeListenerOptions listener, IPEndPoint remote)
    {
        _session = new SmtpSession(server, connectionId, listener, remote);
        _transport = stream;
        (_reader, _writer) = CreatePipe(stream);
    }

    private enum Outcome
    {
        Continue,
        StartTls,
        Closed,
    }

    private SmtpServerContext Server => _session.Server;

    // On shutdown an idle session closes at once; one in a transaction gets the grace period to finish it.
    private bool InTransaction => _session.Message is not null || _session.State is SmtpState.MailGiven or SmtpState.RecipientGiven or SmtpState.Chunking;

    public async Task RunAsync(CancellationToken shutdown)
    {
        using var stop = new CancellationTokenSource();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        using var registration = shutdown.Register(() => Drain(stop));
        using var span = _session.Span = EdgeTelemetry.StartSession(_session);
        var secured = true;
        try
        {
            if (_session.Listener.Role == ListenerRole.Submissions)
            {
                secured = await UpgradeAsync(idle).ConfigureAwait(false);
                if (!secured)
                {
                    return;
                }
            }

            var greeting = SmtpReplies.Greeting(Server.Options.HostName);
            greeting.WriteTo(_writer);
            _session.LastReplyCode = greeting.Code;
            var outcome = Outcome.Continue;
            while (true)
            {
                await FlushAsync(idle).ConfigureAwait(false);
                if (outcome == Outcome.StartTls)
                {
                    secured = await UpgradeAsync(idle).ConfigureAwait(false);
                    if (!secured)
                    {
                        break;
                    }
                }
                else if (outcome == Outcome.Closed)
                {
                    break;
                }

                if (_draining && !InTransaction)
                {
                    await SendFinalAsync(SmtpRejection.ShuttingDown).ConfigureAwait(false);
                    break;
                }

                outcome = await ReadAndAnswerAsync(idle, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await SendFinalAsync(SmtpRejection.ShuttingDown).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            EdgeLog.SessionTimedOut(Server.Logger, _session.ConnectionId);
            if (secured)
            {
                await SendFinalAsync(SmtpRejection.Timeout).ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            EdgeLog.ConnectionLost(Server.Logger, _session.ConnectionId, ex);
        }
        finally
        {
            EdgeTelemetry.EndSession(span, _session);
            if (_session.Message is { } message)
            {
                // Never committed, so disposing removes what was spooled.
                await message.DisposeAsync().ConfigureAwait(false);
            }

            await _reader.CompleteAsync().ConfigureAwait(false);
            await _writer.CompleteAsync().ConfigureAwait(false);
            if (_tls is not null)
            {
                await _tls.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static (PipeReader Reader, PipeWriter Writer) CreatePipe(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)), PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));

    private void Drain(CancellationTokenSource stop)
    {
        _draining = true;
        if (InTransaction)
        {
            stop.CancelAfter(Server.Options.Limits.ShutdownGracePeriod);
        }
        else
        {
            stop.Cancel();
        }
    }

    private async Task<Outcome> ReadAndAnswerAsync(CancellationTokenSource idle, CancellationToken stop)
    {
        var timeout = Server.Options.CommandTimeout;
        if (_session.Message is not null)
        {
            // The total DATA time counts too, so a client trickling bytes cannot hold a session forever.
            var left = _session.BodyDeadline - Server.Time.GetUtcNow();
            timeout = left <= TimeSpan.Zero ? TimeSpan.Zero : left < timeout ? left : timeout;
        }

        idle.CancelAfter(timeout);
        var result = await _reader.ReadAsync(idle.Token).ConfigureAwait(false);
        idle.CancelAfter(Timeout.InfiniteTimeSpan);
        var consumed = result.Buffer.Start;
        try
        {
            var (remaining, outcome) = await AnswerAsync(result.Buffer, stop).ConfigureAwait(false);
            consumed = remaining.Start;
            if (outcome == Outcome.StartTls)
            {
                // RFC 3207 / CVE-2011-0411: whatever followed STARTTLS in plaintext is thrown away unanswered.
                if (!remaining.IsEmpty)
                {
                    EdgeLog.PlaintextDiscarded(Server.Logger, _session.ConnectionId, remaining.Length);
                }

                consumed = result.Buffer.End;
                return outcome;
            }

            return result.IsCompleted ? Outcome.Closed : outcome;
        }
        finally
        {
            _reader.AdvanceTo(consumed, result.Buffer.End);
        }
    }

    /// <summary>Answers every complete command in the buffer, and passes DATA and BDAT bytes on.</summary>
    private async ValueTask<(ReadOnlySequence<byte> Remaining, Outcome Outcome)> AnswerAsync(ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_discard > 0)
            {
                var skip = Math.Min(_discard, buffer.Length);
                buffer = buffer.Slice(skip);
                _discard -= skip;
                if (_discard > 0)
                {
                    return (buffer, Outcome.Continue);
                }
            }

            if (_session.Message is { AwaitingBytes: true } message)
            {
                var (complete, consumed) = await message.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                buffer = buffer.Slice(consumed);
                if (!complete)
                {
                    return (buffer, Outcome.Continue);
                }

                var (reply, ended) = await message.CompleteAsync(cancellationToken).ConfigureAwait(false);
                if (ended)
                {
                    _session.Message = null;
                    await message.DisposeAsync().ConfigureAwait(false);
                    _session.ResetTransaction();
                    if (_session.State == SmtpState.Chunking)
                    {
                        _session.State = SmtpState.Identified;
                    }
                }

                if (!Answer(reply))
                {
                    return (buffer, Outcome.Closed);
                }

                continue;
            }

            switch (_lines.Read(ref buffer, out var line))
            {
                case LineStatus.NeedMore:
                    return (buffer, Outcome.Continue);
                case LineStatus.TooLong:
                    _session.PendingAuth = null;
                    if (!Answer(Refuse(null, SmtpRejection.LineTooLong)))
                    {
                        return (buffer, Outcome.Closed);
                    }

                    break;
                case LineStatus.Line:
                    if (await ExecuteAsync(line, cancellationToken).ConfigureAwait(false) is { } answer && !Answer(answer))
                    {
                        return (buffer, Outcome.Closed);
                    }

                    if (_session.State == SmtpState.Closed)
                    {
                        return (buffer, Outcome.Closed);
                    }

                    if (_session.TlsRequested)
                    {
                        return (buffer, Outcome.StartTls);
                    }

                    break;
            }
        }
    }

    /// <returns>The reply, or null for a BDAT whose reply follows its bytes.</returns>
    private async ValueTask<SmtpReply?> ExecuteAsync(ReadOnlySequence<byte> line, CancellationToken cancellationToken)
    {
        if (_session.PendingAuth is { } exchange)
        {
            return await AuthCommand.ContinueAsync(_session, exchange, line, cancellationToken).ConfigureAwait(false);
        }

        if (!SmtpCommandParser.TryParse(line, out var command, out var rejection))
        {
            return Refuse(null, rejection);
        }

        if (command.Verb == SmtpVerb.Bdat)
        {
            return await BdatAsync(command.Argument, cancellationToken).ConfigureAwait(false);
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
            SmtpVerb.Rcpt => await RcptCommand.HandleAsync(_session, argument, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Data => await DataCommand.HandleAsync(_session, argument, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Rset => RsetCommand.Handle(_session, argument),
            SmtpVerb.Noop => NoopCommand.Handle(),
            SmtpVerb.Quit => QuitCommand.Handle(argument),
            SmtpVerb.Help => HelpCommand.Handle(),
            SmtpVerb.Vrfy => VrfyCommand.Handle(argument),
            SmtpVerb.Auth => await AuthCommand.HandleAsync(_session, argument, cancellationToken).ConfigureAwait(false),
            SmtpVerb.StartTls => StartTlsCommand.Handle(_session, argument),
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

        // RSET, HELO or EHLO between BDAT chunks end the transaction: what was spooled is removed.
        if (_session.State != SmtpState.Chunking && _session.Message is { AwaitingBytes: false } abandoned)
        {
            _session.Message = null;
            await abandoned.DisposeAsync().ConfigureAwait(false);
        }

        return reply;
    }

    private async ValueTask<SmtpReply?> BdatAsync(ReadOnlySequence<byte> argument, CancellationToken cancellationToken)
    {
        if (!BdatCommand.TryReadArguments(argument, out var size, out var last))
        {
            return Refuse(SmtpVerb.Bdat, SmtpRejection.SyntaxError);
        }

        var refusal = SmtpStateTable.TryGetNext(_session.State, SmtpVerb.Bdat, out var next)
            ? await BdatCommand.HandleAsync(_session, size, last, cancellationToken).ConfigureAwait(false)
            : SmtpRejections.Reply(SmtpRejection.BadSequence);
        if (refusal is not null)
        {
            _discard = size;
            EdgeLog.CommandRefused(Server.Logger, _session.ConnectionId, nameof(SmtpVerb.Bdat), refusal.Code);
            return refusal;
        }

        _session.State = next;
        return null;
    }

    /// <summary>Writes a reply and keeps count of refusals.</summary>
    /// <returns>False when the session has collected too many errors or failed logins, and is told 421.</returns>
    private bool Answer(SmtpReply reply)
    {
        reply.WriteTo(_writer);
        _session.LastReplyCode = reply.Code;
        if (reply.Code >= 500)
        {
            _session.Errors++;
        }

        var limits = Server.Options.Limits;
        if (_session.Errors < limits.MaxErrors && _session.AuthFailures < limits.MaxAuthFailures)
        {
            return true;
        }

        EdgeLog.TooManyErrors(Server.Logger, _session.ConnectionId, _session.Errors, _session.AuthFailures);
        var closing = SmtpRejections.Reply(SmtpRejection.TooManyErrors);
        closing.WriteTo(_writer);
        _session.LastReplyCode = closing.Code;
        _session.State = SmtpState.Closed;
        return false;
    }

    private SmtpReply Refuse(SmtpVerb? verb, SmtpRejection rejection)
    {
        var reply = SmtpRejections.Reply(rejection);
        EdgeLog.CommandRefused(Server.Logger, _session.ConnectionId, verb?.ToString() ?? "(unparsed)", reply.Code);
        return reply;
    }

    /// <summary>The TLS handshake, for STARTTLS after its 220 or at once on an implicit-TLS listener.</summary>
    /// <returns>False when the handshake failed; the connection is then closed without another word.</returns>
    private async Task<bool> UpgradeAsync(CancellationTokenSource idle)
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        _tls = new SslStream(_transport, leaveInnerStreamOpen: true);
        try
        {
            var options = Server.Tls.GetServerOptions();
            idle.CancelAfter(Server.Options.CommandTimeout);
            await _tls.AuthenticateAsServerAsync(options, idle.Token).ConfigureAwait(false);
            idle.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            EdgeLog.TlsHandshakeFailed(Server.Logger, _session.ConnectionId, ex);
            return false;
        }

        (_reader, _writer) = CreatePipe(_tls);
        _lines = default;
        _session.TlsRequested = false;
        _session.Secure(TlsDescription.Of(_tls), _tls.SslProtocol);
        EdgeLog.TlsEstablished(Server.Logger, _session.ConnectionId, _session.Tls!);
        return true;
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
            var reply = SmtpRejections.Reply(rejection);
            reply.WriteTo(_writer);
            _session.LastReplyCode = reply.Code;
            await _writer.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            EdgeLog.ConnectionLost(Server.Logger, _session.ConnectionId, ex);
        }
    }
}
