using System.Net.Sockets;
using System.Text;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MtaServerless.Core.Routing;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Relays one stored message to one next hop with MailKit. The trace headers are put in front of
/// the stored headers; the stored bytes themselves are sent as they are.
/// </summary>
public sealed partial class SmarthostRelay(IOptions<PipelineOptions> options, ILogger<SmarthostRelay> logger)
{
    private readonly PipelineOptions _options = options.Value;

    public async Task<RelayResult> RelayAsync(
        Route route,
        string mailFrom,
        IReadOnlyList<string> recipients,
        string traceHeaders,
        Stream storedMessage,
        bool smtpUtf8,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(recipients);
        var host = route.Host ?? throw new ArgumentException($"Route '{route.Pattern}' has no host.", nameof(route));
        var message = await MimeMessage.LoadAsync(storedMessage, persistent: true, cancellationToken).ConfigureAwait(false);
        PrependHeaders(message, traceHeaders);

        using var client = new RecordingSmtpClient
        {
            LocalDomain = _options.HostName,
            Timeout = (int)_options.CommandTimeout.TotalMilliseconds,
        };
        if (route.Tls == TlsMode.Opportunistic)
        {
            // Opportunistic TLS (RFC 7435) encrypts against passive listeners; it cannot authenticate a peer nobody configured.
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        }

        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(_options.ConnectTimeout);
                await client.ConnectAsync(host, route.Port, SocketOptions(route.Tls), connect.Token).ConfigureAwait(false);
            }

            var format = FormatOptions.Default.Clone();
            format.International = smtpUtf8;
            var reply = await client.SendAsync(
                format,
                message,
                Mailbox(mailFrom),
                recipients.Select(Mailbox),
                cancellationToken).ConfigureAwait(false);
            await client.DisconnectAsync(quit: true, cancellationToken).ConfigureAwait(false);
            return new RelayResult(host, recipients.Select(r => Outcome(client, r, 250, $"250 {reply}")).ToList());
        }
        catch (SmtpCommandException ex)
        {
            // A rejected MAIL or DATA (or every RCPT) decides for every recipient the hop did not reject one by one.
            var code = (int)ex.StatusCode;
            return new RelayResult(host, recipients.Select(r => Outcome(client, r, code, $"{code} {ex.Message}")).ToList());
        }
        catch (Exception ex) when (IsTransientTransportFailure(ex, cancellationToken))
        {
            LogConnectionFailed(logger, host, route.Port, ex);
            var reply = $"451 4.4.1 Could not relay through {host}:{route.Port}: {ex.GetType().Name}";
            return new RelayResult(host, recipients.Select(r => new RecipientOutcome(r, 451, reply)).ToList());
        }
    }

    private static RecipientOutcome Outcome(RecordingSmtpClient client, string recipient, int code, string reply) =>
        client.RejectedRecipients.TryGetValue(recipient, out var rejected)
            ? new RecipientOutcome(recipient, (int)rejected.StatusCode, $"{(int)rejected.StatusCode} {rejected.Response}")
            : new RecipientOutcome(recipient, code, reply);

    private static void PrependHeaders(MimeMessage message, string traceHeaders)
    {
        using var source = new MemoryStream(Encoding.UTF8.GetBytes(traceHeaders + "\r\n"));
        var headers = HeaderList.Load(ParserOptions.Default, source);
        for (var i = 0; i < headers.Count; i++)
        {
            message.Headers.Insert(i, headers[i]);
        }
    }

    private static MailboxAddress Mailbox(string address) => new(string.Empty, address);

    private static SecureSocketOptions SocketOptions(TlsMode tls) => tls switch
    {
        TlsMode.None => SecureSocketOptions.None,
        TlsMode.Required => SecureSocketOptions.StartTls,
        TlsMode.Implicit => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    /// <summary>Network, TLS and protocol failures and timeouts are worth another attempt later; a cancelled host shutdown is not ours to answer.</summary>
    private static bool IsTransientTransportFailure(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        SocketException or IOException or TimeoutException or System.Security.Authentication.AuthenticationException or MailKit.Security.AuthenticationException or SmtpProtocolException or ProtocolException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "Relay to {Host}:{Port} failed")]
    private static partial void LogConnectionFailed(ILogger logger, string host, int port, Exception exception);
}
