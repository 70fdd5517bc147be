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
public sealed partial class SmtpRelay(IOptions<PipelineOptions> options, SmtpCredentials credentials, ILogger<SmtpRelay> logger)
{
    /// <summary>QUIT ends a connection whose replies are all in: it is not worth more than this wait.</summary>
    public static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);

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
        foreach (var hop in hops)
        {
            var attempt = await TryHopAsync(route, hop, route.Tls, credential, envelope, message, cancellationToken).ConfigureAwait(false);
            if (attempt.TlsFailed && route.Tls == TlsMode.Opportunistic)
            {
                LogPlaintextFallback(logger, hop.ToString());
                attempt = await TryHopAsync(route, hop, TlsMode.None, credential, envelope, message, cancellationToken).ConfigureAwait(false);
            }

            if (attempt.Result is { } result)
            {
                return result;
            }

            failure = attempt.Failure;
        }

        return RelayResult.ForAll(recipients, failure ?? LocalOutcomes.Unreachable(null, "no next hop to try"));
    }

    private async Task<HopAttempt> TryHopAsync(Route route, NextHop hop, TlsMode tls, NetworkCredential? credential, RelayEnvelope envelope, StoredMessage message, CancellationToken cancellationToken)
    {
        // One dependency span per host tried: Application Insights shows each attempt with its outcome.
        using var span = MtaTelemetry.Pipeline.StartActivity(MtaTelemetry.RelaySpan, ActivityKind.Client)?
            .SetTag("server.address", hop.Name)
            .SetTag("server.port", hop.Port);
        var stage = HopStage.Connect;
        HopConnection? connection = null;
        try
        {
            using (var connect = HopTimeout.Within(_options.ConnectTimeout, cancellationToken))
            {
                connection = await HopConnection.OpenAsync(hop, connect.Token).ConfigureAwait(false);
                if (tls == TlsMode.Implicit)
                {
                    stage = HopStage.Tls;
                    await connection.UpgradeAsync(route.VerifyCertificate, connect.Token).ConfigureAwait(false);
                }

                stage = HopStage.Greeting;
                var greeting = await connection.ReadReplyAsync(connect.Token).ConfigureAwait(false);
                if (!greeting.IsPositive)
                {
                    return Unusable(span, hop, stage, $"greeted with {greeting}");
                }
            }

            stage = HopStage.Hello;
            if (await HelloAsync(connection, cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                return Unusable(span, hop, stage, $"answered EHLO with {refusal}");
            }

            if (tls == TlsMode.Required || (tls == TlsMode.Opportunistic && connection.Capabilities.StartTls))
            {
                stage = HopStage.Tls;
                if (!connection.Capabilities.StartTls)
                {
                    return Unusable(span, hop, stage, "offers no STARTTLS");
                }

                if (await StartTlsAsync(connection, route.VerifyCertificate, cancellationToken).ConfigureAwait(false) is { } tlsRefusal)
                {
                    return Unusable(span, hop, stage, $"answered STARTTLS with {tlsRefusal}") with { TlsFailed = true };
                }

                stage = HopStage.Hello;
                if (await HelloAsync(connection, cancellationToken).ConfigureAwait(false) is { } secureRefusal)
                {
                    return Unusable(span, hop, stage, $"answered EHLO with {secureRefusal}");
                }
            }

            if (credential is not null)
            {
                stage = HopStage.Authentication;
                if (!await AuthenticateAsync(connection, credential, cancellationToken).ConfigureAwait(false))
                {
                    LogAuthenticationFailed(logger, hop.ToString());
                    span?.SetStatus(ActivityStatusCode.Error, stage.ToString());
                    return new HopAttempt(null, LocalOutcomes.CredentialsRefused(hop.Name));
                }
            }

            stage = HopStage.Transaction;
            var transaction = new RelayTransaction(connection, envelope, _options);
            var outcomes = await transaction.RunAsync(message, cancellationToken).ConfigureAwait(false);
            if (transaction.Failure is { } broken)
            {
                LogTransactionFailed(logger, hop.ToString(), broken);
            }
            else
            {
                await QuitAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            // 0 for a recipient the hop never answered, as the events report it; a hop that left any recipient
            // undelivered failed, so that the Failures view lists it.
            span?.SetTag("smtp.tls", connection.Tls ?? "none").SetTag("smtp.reply_codes", string.Join(',', outcomes.Select(o => o.Outcome.IsUnanswered ? 0 : o.Outcome.Code).Distinct()));
            if (outcomes.Any(o => !o.Outcome.IsSuccess))
            {
                span?.SetStatus(ActivityStatusCode.Error, stage.ToString());
            }

            return new HopAttempt(new RelayResult(outcomes, connection.Tls, connection.Capabilities.Dsn), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Refused, reset, timed out, a failed handshake, a protocol violation: this host is no use now, the next one may be.
            LogHopFailed(logger, hop.ToString(), stage, ex);
            return Unusable(span, hop, stage, Describe(stage, ex)) with { TlsFailed = stage == HopStage.Tls };
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
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

    private async Task QuitAsync(HopConnection connection, CancellationToken cancellationToken)
    {
        using var step = HopTimeout.Within(QuitTimeout, cancellationToken);
        try
        {
            await connection.CommandAsync("QUIT", step.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The replies that matter are in; a failed QUIT changes nothing.
            LogQuitFailed(logger, connection.Hop.ToString(), ex.GetType().Name);
        }
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

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Next hop {Hop} failed at {Stage}; trying the next host")]
    private static partial void LogHopFailed(ILogger logger, string hop, HopStage stage, Exception exception);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "STARTTLS with {Hop} failed; trying it again in plaintext (opportunistic TLS)")]
    private static partial void LogPlaintextFallback(ILogger logger, string hop);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Debug, Message = "QUIT to {Hop} failed ({Error}); the transaction was complete")]
    private static partial void LogQuitFailed(ILogger logger, string hop, string error);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Connection to {Hop} failed during the transaction; recipients without a reply are deferred")]
    private static partial void LogTransactionFailed(ILogger logger, string hop, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Error, Message = "{Hop} refused our credentials or offers no AUTH PLAIN or LOGIN")]
    private static partial void LogAuthenticationFailed(ILogger logger, string hop);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "Route {Pattern} names credential {CredentialRef}, which configuration does not hold (Credentials:{CredentialRef}:UserName and :Password)")]
    private static partial void LogMissingCredential(ILogger logger, string pattern, string credentialRef);
}
