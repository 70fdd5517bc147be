using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Telemetry;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Relays one message to the first next hop that takes the connection, with MailKit. A hop that
/// cannot be reached, greets with anything but 220 or fails TLS is skipped for the next one; once a
/// transaction starts, its replies decide, per recipient.
/// </summary>
public sealed partial class SmtpRelay(IOptions<PipelineOptions> options, SmtpCredentials credentials, ILogger<SmtpRelay> logger)
{
    /// <summary>Our own reply when no next hop could be reached: no remote host said anything.</summary>
    public const string UnreachableReply = "451 4.4.1 No next hop could be reached";

    private readonly PipelineOptions _options = options.Value;

    public async Task<RelayResult> RelayAsync(Route route, IReadOnlyList<NextHop> hops, RelayEnvelope envelope, MimeMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(hops);
        ArgumentNullException.ThrowIfNull(envelope);
        NetworkCredential? credential = null;
        if (route.CredentialRef is { Length: > 0 } reference && (credential = credentials.Find(reference)) is null)
        {
            LogMissingCredential(logger, route.Pattern, reference);
            return RelayResult.ForAll(string.Empty, envelope.Recipients, 451, "451 4.3.5 Next hop is not configured");
        }

        foreach (var hop in hops)
        {
            // One dependency span per host tried: Application Insights shows each attempt with its outcome.
            using var attempt = MtaTelemetry.Pipeline.StartActivity(MtaTelemetry.RelaySpan, ActivityKind.Client)?
                .SetTag("server.address", hop.Name)
                .SetTag("server.port", hop.Port);
            using var client = NewClient(route, envelope.Dsn);
            if (!await TryConnectAsync(client, hop, route.Tls, cancellationToken).ConfigureAwait(false))
            {
                attempt?.SetStatus(ActivityStatusCode.Error, "connect");
                continue;
            }

            var result = await TransactAsync(client, hop, credential, envelope, message, cancellationToken).ConfigureAwait(false);
            attempt?.SetTag("smtp.tls", result.Tls ?? "none").SetTag("smtp.reply_codes", string.Join(',', result.Outcomes.Select(o => o.Code).Distinct()));
            return result;
        }

        return RelayResult.ForAll(hops.Count > 0 ? hops[^1].Name : string.Empty, envelope.Recipients, 451, UnreachableReply);
    }

    private RecordingSmtpClient NewClient(Route route, DsnRequest? dsn)
    {
        var client = new RecordingSmtpClient(dsn)
        {
            LocalDomain = _options.HostName,
            Timeout = (int)_options.CommandTimeout.TotalMilliseconds,
        };
        if (!route.VerifyCertificate)
        {
            // Unverified TLS (RFC 7435) still encrypts against passive listeners; verification is the route's opt-in.
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        }

        return client;
    }

    /// <returns>False when this hop is unusable and the next one should be tried.</returns>
    private async Task<bool> TryConnectAsync(RecordingSmtpClient client, NextHop hop, TlsMode tls, CancellationToken cancellationToken)
    {
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(_options.ConnectTimeout);
        Socket? socket = null;
        try
        {
            if (hop.Address is { } address)
            {
                socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(address, hop.Port), connect.Token).ConfigureAwait(false);
                await client.ConnectAsync(socket, hop.Name, hop.Port, SocketOptions(tls), connect.Token).ConfigureAwait(false);
            }
            else
            {
                await client.ConnectAsync(hop.Name, hop.Port, SocketOptions(tls), connect.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (SmtpCommandException ex)
        {
            LogGreetingRefused(logger, hop.ToString(), (int)ex.StatusCode, ex.Message);
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            LogConnectFailed(logger, hop.ToString(), ex);
        }

        socket?.Dispose();
        return false;
    }

    private async Task<RelayResult> TransactAsync(RecordingSmtpClient client, NextHop hop, NetworkCredential? credential, RelayEnvelope envelope, MimeMessage message, CancellationToken cancellationToken)
    {
        var recipients = envelope.Recipients;
        if (envelope.SmtpUtf8 && !client.Capabilities.HasFlag(SmtpCapabilities.UTF8))
        {
            await QuitAsync(client, cancellationToken).ConfigureAwait(false);
            return RelayResult.ForAll(hop.Name, recipients, 550, "550 5.6.7 Next hop does not accept internationalized mail (SMTPUTF8)");
        }

        using var transaction = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        transaction.CancelAfter(_options.DataTimeout);
        try
        {
            if (credential is not null)
            {
                await client.AuthenticateAsync(credential, transaction.Token).ConfigureAwait(false);
            }

            var format = FormatOptions.Default.Clone();
            format.International = envelope.SmtpUtf8;
            var reply = await client.SendAsync(format, message, Mailbox(envelope.MailFrom), recipients.Select(Mailbox), transaction.Token).ConfigureAwait(false);
            await QuitAsync(client, cancellationToken).ConfigureAwait(false);
            return new RelayResult(hop.Name, recipients.Select(r => client.Outcome(r, 250, $"250 {reply}")).ToList(), TlsOf(client));
        }
        catch (SmtpCommandException ex)
        {
            // A rejected command leaves the connection usable: the hop answered, and its reply decides.
            LogCommandRejected(logger, hop.ToString(), (int)ex.StatusCode, ex.ErrorCode, ex.Message);
            await QuitAsync(client, cancellationToken).ConfigureAwait(false);
            var code = (int)ex.StatusCode;
            return new RelayResult(hop.Name, recipients.Select(r => client.Outcome(r, code, $"{code} {ex.Message}")).ToList(), TlsOf(client));
        }
        catch (MailKit.Security.AuthenticationException ex)
        {
            LogAuthenticationFailed(logger, hop.ToString(), ex);
            return RelayResult.ForAll(hop.Name, recipients, 451, "451 4.7.8 Next hop refused our credentials");
        }
        catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
        {
            // An I/O or protocol failure mid-transaction drops the connection; the outcome is unknown, so it is retried later.
            LogTransactionFailed(logger, hop.ToString(), ex);
            return new RelayResult(hop.Name, recipients.Select(r => client.Outcome(r, 451, "451 4.4.2 Connection to the next hop was lost")).ToList(), TlsOf(client));
        }
    }

    private static async Task QuitAsync(SmtpClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or SmtpProtocolException or SmtpCommandException or TimeoutException)
        {
            // The replies that matter are in; a failed QUIT changes nothing.
        }
    }

    private static MailboxAddress Mailbox(string address) => new(string.Empty, address);

    private static string? TlsOf(SmtpClient client) => client.IsSecure ? client.SslProtocol.ToString() : null;

    private static SecureSocketOptions SocketOptions(TlsMode tls) => tls switch
    {
        TlsMode.None => SecureSocketOptions.None,
        TlsMode.Required => SecureSocketOptions.StartTls,
        TlsMode.Implicit => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    /// <summary>Network, TLS and protocol failures and timeouts; a cancelled host shutdown is not ours to answer.</summary>
    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        SocketException or IOException or TimeoutException or SslHandshakeException or System.Security.Authentication.AuthenticationException
            or SmtpProtocolException or ProtocolException or NotSupportedException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Could not connect to {Hop}; trying the next host")]
    private static partial void LogConnectFailed(ILogger logger, string hop, Exception exception);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "{Hop} greeted with {Code} {Reply}; trying the next host")]
    private static partial void LogGreetingRefused(ILogger logger, string hop, int code, string reply);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "{Hop} rejected a command with {Code} ({Kind}): {Reply}")]
    private static partial void LogCommandRejected(ILogger logger, string hop, int code, SmtpErrorCode kind, string reply);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Connection to {Hop} failed during the transaction")]
    private static partial void LogTransactionFailed(ILogger logger, string hop, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Error, Message = "{Hop} refused our credentials")]
    private static partial void LogAuthenticationFailed(ILogger logger, string hop, Exception exception);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Error, Message = "Route {Pattern} names credential {CredentialRef}, which configuration does not hold (Credentials:{CredentialRef}:UserName and :Password)")]
    private static partial void LogMissingCredential(ILogger logger, string pattern, string credentialRef);
}
