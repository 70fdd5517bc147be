using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline.Deliver.Smtp;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Relays one message to the first next hop that takes a transaction. A hop that cannot be reached,
/// greets with anything but 2xx, fails TLS where TLS is required or refuses our credentials is skipped
/// for the next one; with opportunistic TLS a failed STARTTLS is retried on the same host in plaintext,
/// as Postfix does at security level "may". Once a transaction starts, the hop's replies decide, per
/// recipient; a failure of one hop is a deferral with its cause in the log, never an exception.
/// </summary>
public sealed partial class SmtpRelay(IOptions<PipelineOptions> options, SmtpCredentials credentials, HopConnectionPool pool, TimeProvider time, ILogger<SmtpRelay> logger)
{
    private readonly PipelineOptions _options = options.Value;

    public async Task<RelayResult> RelayAsync(Route route, IReadOnlyList<NextHop> hops, RelayEnvelope envelope, StoredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(hops);
        ArgumentNullException.ThrowIfNull(envelope);
        var recipients = envelope.Recipients.Select(r => r.Address).ToList();
        NetworkCredential? credential = null;
        if (route.CredentialRef is { Length: > 0 } reference && (credential = credentials.Find(reference)) is null)
        {
            LogMissingCredential(logger, route.Pattern, reference);
            return RelayResult.ForAll(recipients, LocalOutcomes.NotConfigured);
        }

        DeliveryOutcome? failure = null;
        // Every connection made or reused counts, so that a relay cannot outlast what PipelineOptions.WorstCaseHop allows.
        var connections = new ConnectionBudget(_options.MaxHostsTried);
        foreach (var hop in hops)
        {
            if (!connections.TryTake())
            {
                LogHostsExhausted(logger, hop.ToString(), _options.MaxHostsTried);
                break;
            }

            var attempt = await TryHopAsync(route, hop, route.Tls, credential, envelope, message, connections, cancellationToken).ConfigureAwait(false);
            if (attempt.TlsFailed && route.Tls == TlsMode.Opportunistic && connections.TryTake())
            {
                LogPlaintextFallback(logger, hop.ToString());
                attempt = await TryHopAsync(route, hop, TlsMode.None, credential, envelope, message, connections, cancellationToken).ConfigureAwait(false);
            }

            if (attempt.Result is { } result)
            {
                return result;
            }

            failure = attempt.Failure;
        }

        return RelayResult.ForAll(recipients, failure ?? LocalOutcomes.Unreachable(null, "no next hop to try"));
    }

    /// <param name="connections">This attempt took one connection of it; a kept connection that turns out dropped takes another for the new one.</param>
    private async Task<HopAttempt> TryHopAsync(Route route, NextHop hop, TlsMode tls, NetworkCredential? credential, RelayEnvelope envelope, StoredMessage message, ConnectionBudget connections, CancellationToken cancellationToken)
    {
        // One dependency span per host tried: Application Insights shows each attempt with its outcome.
        using var span = MtaTelemetry.Pipeline.StartActivity(MtaTelemetry.RelaySpan, ActivityKind.Client)?
            .SetTag("server.address", hop.Name)
            .SetTag("server.port", hop.Port);
        var key = new HopKey(hop, tls, route.VerifyCertificate, route.CredentialRef);
        if (pool.TryRent(key) is { } pooled)
        {
            span?.SetTag("smtp.connection_reused", true);
            if (await TransactAsync(key, pooled, reused: true, span, envelope, message, cancellationToken).ConfigureAwait(false) is { } result)
            {
                return new HopAttempt(result, null);
            }

            if (!connections.TryTake())
            {
                return Unusable(span, hop, HopStage.Connect, "dropped a kept connection, and no new one is allowed");
            }
        }

        var (connection, failure) = await OpenAsync(route, hop, tls, credential, span, cancellationToken).ConfigureAwait(false);
        return connection is null
            ? failure!
            : new HopAttempt(await TransactAsync(key, connection, reused: false, span, envelope, message, cancellationToken).ConfigureAwait(false), null);
    }

    /// <summary>Connects, reads the greeting, says EHLO, secures and authenticates as the route says, all within <see cref="PipelineOptions.ConnectTimeout"/>.</summary>
    /// <returns>A connection ready for MAIL, or why this hop is unusable.</returns>
    private async Task<(HopConnection? Connection, HopAttempt? Failure)> OpenAsync(Route route, NextHop hop, TlsMode tls, NetworkCredential? credential, Activity? span, CancellationToken cancellationToken)
    {
        var stage = HopStage.Connect;
        HopConnection? connection = null;
        using var setup = HopTimeout.Within(_options.ConnectTimeout, cancellationToken);
        try
        {
            connection = await HopConnection.OpenAsync(hop, time.GetUtcNow(), setup.Token).ConfigureAwait(false);
            if (tls == TlsMode.Implicit)
            {
                stage = HopStage.Tls;
                await connection.UpgradeAsync(route.VerifyCertificate, setup.Token).ConfigureAwait(false);
            }

            stage = HopStage.Greeting;
            var greeting = await connection.ReadReplyAsync(setup.Token).ConfigureAwait(false);
            if (!greeting.IsPositive)
            {
                return (null, Unusable(span, hop, stage, $"greeted with {greeting}"));
            }

            stage = HopStage.Hello;
            if (await HelloAsync(connection, setup.Token).ConfigureAwait(false) is { } refusal)
            {
                return (null, Unusable(span, hop, stage, $"answered EHLO with {refusal}"));
            }

            if (tls == TlsMode.Required || (tls == TlsMode.Opportunistic && connection.Capabilities.StartTls))
            {
                stage = HopStage.Tls;
                if (!connection.Capabilities.StartTls)
                {
                    return (null, Unusable(span, hop, stage, "offers no STARTTLS"));
                }

                if (await StartTlsAsync(connection, route.VerifyCertificate, setup.Token).ConfigureAwait(false) is { } tlsRefusal)
                {
                    return (null, Unusable(span, hop, stage, $"answered STARTTLS with {tlsRefusal}") with { TlsFailed = true });
                }

                stage = HopStage.Hello;
                if (await HelloAsync(connection, setup.Token).ConfigureAwait(false) is { } secureRefusal)
                {
                    return (null, Unusable(span, hop, stage, $"answered EHLO with {secureRefusal}"));
                }
            }

            if (credential is not null)
            {
                stage = HopStage.Authentication;
                if (connection.Tls is null)
                {
                    // Whatever the route says, a password never travels in plaintext: a stripped STARTTLS must not get it.
                    LogCredentialsWithheld(logger, hop.ToString());
                    span?.SetStatus(ActivityStatusCode.Error, stage.ToString());
                    return (null, new HopAttempt(null, LocalOutcomes.CredentialsNeedTls(hop.Name)));
                }

                if (!await AuthenticateAsync(connection, credential, setup.Token).ConfigureAwait(false))
                {
                    LogAuthenticationFailed(logger, hop.ToString());
                    span?.SetStatus(ActivityStatusCode.Error, stage.ToString());
                    return (null, new HopAttempt(null, LocalOutcomes.CredentialsRefused(hop.Name)));
                }
            }

            var ready = connection;
            connection = null;
            return (ready, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Refused, reset, timed out, a failed handshake, a protocol violation: this host is no use now, the next one may be.
            LogHopFailed(logger, hop.ToString(), stage, ex);
            return (null, Unusable(span, hop, stage, Describe(stage, ex)) with { TlsFailed = stage == HopStage.Tls });
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <returns>
    /// The recipients' outcomes; null when a connection from the pool turned out dropped before the hop
    /// answered anything of this transaction, so that a fresh connection may try it without a duplicate.
    /// </returns>
    private async Task<RelayResult?> TransactAsync(HopKey key, HopConnection connection, bool reused, Activity? span, RelayEnvelope envelope, StoredMessage message, CancellationToken cancellationToken)
    {
        var transaction = new RelayTransaction(connection, envelope, _options);
        IReadOnlyList<RecipientOutcome> outcomes;
        try
        {
            outcomes = await transaction.RunAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (transaction.Failure is { } broken)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (reused && !transaction.AnyReplyRead)
            {
                LogPooledConnectionDropped(logger, connection.Hop.ToString(), broken.GetType().Name);
                return null;
            }

            LogTransactionFailed(logger, connection.Hop.ToString(), broken);
        }
        else
        {
            await ReleaseAsync(key, connection).ConfigureAwait(false);
        }

        // 0 for a recipient the hop never answered, as the events report it; a hop that left any recipient
        // undelivered failed, so that the Failures view lists it.
        span?.SetTag("smtp.tls", connection.Tls ?? "none").SetTag("smtp.reply_codes", string.Join(',', outcomes.Select(o => o.Outcome.IsUnanswered ? 0 : o.Outcome.Code).Distinct()));
        if (outcomes.Any(o => !o.Outcome.IsSuccess))
        {
            span?.SetStatus(ActivityStatusCode.Error, HopStage.Transaction.ToString());
        }

        return new RelayResult(outcomes, connection.Tls, connection.Capabilities.Dsn);
    }

    /// <returns>Null when the hop said hello; its refusal otherwise.</returns>
    private async Task<HopReply?> HelloAsync(HopConnection connection, CancellationToken cancellationToken)
    {
        using var step = HopTimeout.Within(_options.CommandTimeout, cancellationToken);
        var reply = await connection.HelloAsync(_options.HostName, step.Token).ConfigureAwait(false);
        return reply.IsPositive ? null : reply;
    }

    /// <returns>Null once TLS is up; the hop's refusal of STARTTLS otherwise.</returns>
    private async Task<HopReply?> StartTlsAsync(HopConnection connection, bool verifyCertificate, CancellationToken cancellationToken)
    {
        using var step = HopTimeout.Within(_options.CommandTimeout, cancellationToken);
        var reply = await connection.CommandAsync("STARTTLS", step.Token).ConfigureAwait(false);
        if (reply.Code != 220)
        {
            return reply;
        }

        await connection.UpgradeAsync(verifyCertificate, step.Token).ConfigureAwait(false);
        return null;
    }

    /// <summary>AUTH PLAIN, or LOGIN where PLAIN is not offered (RFC 4954); nothing of the exchange is logged.</summary>
    private async Task<bool> AuthenticateAsync(HopConnection connection, NetworkCredential credential, CancellationToken cancellationToken)
    {
        using var step = HopTimeout.Within(_options.CommandTimeout, cancellationToken);
        var mechanisms = connection.Capabilities.AuthMechanisms;
        if (mechanisms.Contains("PLAIN"))
        {
            var reply = await connection.CommandAsync($"AUTH PLAIN {Base64($"\0{credential.UserName}\0{credential.Password}")}", step.Token).ConfigureAwait(false);
            return reply.IsPositive;
        }

        if (mechanisms.Contains("LOGIN"))
        {
            var reply = await connection.CommandAsync("AUTH LOGIN", step.Token).ConfigureAwait(false);
            if (reply.Code == 334)
            {
                reply = await connection.CommandAsync(Base64(credential.UserName), step.Token).ConfigureAwait(false);
            }

            if (reply.Code == 334)
            {
                reply = await connection.CommandAsync(Base64(credential.Password), step.Token).ConfigureAwait(false);
            }

            return reply.IsPositive;
        }

        return false;
    }

    /// <summary>
    /// After a transaction whose replies are all in: RSET and back to the pool, or QUIT and close. Nothing
    /// here may fail the run, not even the host stopping: the recipients' outcomes are decided and must be recorded.
    /// </summary>
    private async Task ReleaseAsync(HopKey key, HopConnection connection)
    {
        using var step = new CancellationTokenSource(_options.QuitTimeout);
        try
        {
            if (pool.Enabled && (await connection.CommandAsync("RSET", step.Token).ConfigureAwait(false)).IsPositive)
            {
                pool.Return(key, connection);
                return;
            }

            await connection.CommandAsync("QUIT", step.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogQuitFailed(logger, connection.Hop.ToString(), ex.GetType().Name);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private static HopAttempt Unusable(Activity? span, NextHop hop, HopStage stage, string reason)
    {
        span?.SetStatus(ActivityStatusCode.Error, stage.ToString());
        return new HopAttempt(null, LocalOutcomes.Unreachable(hop.Name, $"{hop} {reason}"));
    }

    private static string Describe(HopStage stage, Exception ex) => ex switch
    {
        OperationCanceledException => $"timed out ({stage})",
        System.Net.Sockets.SocketException socket => $"{socket.SocketErrorCode} ({stage})",
        System.Security.Authentication.AuthenticationException => "failed the TLS handshake",
        HopProtocolException => $"broke the SMTP protocol ({stage})",
        _ => $"failed ({stage})",
    };

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    private enum HopStage
    {
        Connect,
        Greeting,
        Hello,
        Tls,
        Authentication,
        Transaction,
    }

    /// <param name="Result">The recipients' outcomes once a transaction ran; null when the hop was unusable.</param>
    /// <param name="Failure">Why the hop was unusable, the outcome if it is the last one tried.</param>
    /// <param name="TlsFailed">STARTTLS or its handshake failed: with opportunistic TLS the host is tried again in plaintext.</param>
    private sealed record HopAttempt(RelayResult? Result, DeliveryOutcome? Failure, bool TlsFailed = false);

    /// <summary>How many connections one relay may still make or reuse (<see cref="PipelineOptions.MaxHostsTried"/>).</summary>
    private sealed class ConnectionBudget(int limit)
    {
        private int _taken;

        public bool TryTake() => ++_taken <= limit;
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Next hop {Hop} failed at {Stage}; trying the next host")]
    private static partial void LogHopFailed(ILogger logger, string hop, HopStage stage, Exception exception);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "STARTTLS with {Hop} failed; trying it again in plaintext (opportunistic TLS)")]
    private static partial void LogPlaintextFallback(ILogger logger, string hop);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Warning, Message = "Not trying {Hop}: this relay has made its {Limit} connections (Pipeline:MaxHostsTried)")]
    private static partial void LogHostsExhausted(ILogger logger, string hop, int limit);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Information, Message = "Kept connection to {Hop} was dropped ({Error}) before the transaction began; opening a new one")]
    private static partial void LogPooledConnectionDropped(ILogger logger, string hop, string error);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "RSET or QUIT to {Hop} failed ({Error}); the transaction was complete")]
    private static partial void LogQuitFailed(ILogger logger, string hop, string error);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Connection to {Hop} failed during the transaction; recipients without a reply are deferred")]
    private static partial void LogTransactionFailed(ILogger logger, string hop, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Error, Message = "{Hop} refused our credentials or offers no AUTH PLAIN or LOGIN")]
    private static partial void LogAuthenticationFailed(ILogger logger, string hop);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Error, Message = "{Hop} offered no TLS: our credentials were not sent; check the route's TLS mode and the path to the hop")]
    private static partial void LogCredentialsWithheld(ILogger logger, string hop);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "Route {Pattern} names credential {CredentialRef}, which configuration does not hold (Credentials:{CredentialRef}:UserName and :Password)")]
    private static partial void LogMissingCredential(ILogger logger, string pattern, string credentialRef);
}
