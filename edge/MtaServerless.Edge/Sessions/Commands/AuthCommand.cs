using System.Buffers;
using System.Buffers.Text;
using System.Text;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Limits;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

/// <summary>
/// AUTH PLAIN and LOGIN (RFC 4954, RFC 4616), only over TLS. Credentials are decoded into short-lived
/// strings, checked against the users table and never logged; a failure answers 535 after a delay.
/// </summary>
internal static class AuthCommand
{
    private const int MaxDecoded = 1024;

    public static async ValueTask<SmtpReply> HandleAsync(SmtpSession session, ReadOnlySequence<byte> argument, CancellationToken cancellationToken)
    {
        if (!session.IsSecure)
        {
            return SmtpRejections.Reply(SmtpRejection.EncryptionRequired);
        }

        if (session.AuthUser is not null)
        {
            return SmtpRejections.Reply(SmtpRejection.AlreadyAuthenticated);
        }

        if (session.Server.AuthThrottle.IsThrottled(session.ClientAddress))
        {
            return RefuseThrottledAddress(session);
        }

        var reader = new SequenceReader<byte>(argument);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> mechanism, (byte)' ', advancePastDelimiter: true))
        {
            mechanism = argument;
            reader.AdvanceToEnd();
        }

        var initial = reader.UnreadSequence;
        if (AsciiSequence.EqualsIgnoreCase(mechanism, "PLAIN"u8))
        {
            if (initial.IsEmpty)
            {
                session.PendingAuth = new AuthExchange(AuthStep.PlainResponse);
                return SmtpReplies.EmptyChallenge;
            }

            return await ContinueAsync(session, new AuthExchange(AuthStep.PlainResponse), initial, cancellationToken).ConfigureAwait(false);
        }

        if (AsciiSequence.EqualsIgnoreCase(mechanism, "LOGIN"u8))
        {
            if (initial.IsEmpty)
            {
                session.PendingAuth = new AuthExchange(AuthStep.LoginUser);
                return SmtpReplies.UsernameChallenge;
            }

            return await ContinueAsync(session, new AuthExchange(AuthStep.LoginUser), initial, cancellationToken).ConfigureAwait(false);
        }

        return SmtpRejections.Reply(SmtpRejection.UnsupportedMechanism);
    }

    /// <summary>Takes the client's next line of an exchange.</summary>
    public static async ValueTask<SmtpReply> ContinueAsync(SmtpSession session, AuthExchange exchange, ReadOnlySequence<byte> line, CancellationToken cancellationToken)
    {
        session.PendingAuth = null;
        if (AsciiSequence.EqualsIgnoreCase(line, "*"u8))
        {
            return SmtpRejections.Reply(SmtpRejection.AuthenticationCanceled);
        }

        if (!TryDecode(line, out var decoded))
        {
            return SmtpRejections.Reply(SmtpRejection.InvalidAuthResponse);
        }

        switch (exchange.Step)
        {
            case AuthStep.LoginUser:
                session.PendingAuth = new AuthExchange(AuthStep.LoginPassword, decoded);
                return SmtpReplies.PasswordChallenge;
            case AuthStep.LoginPassword:
                return await VerifyAsync(session, exchange.UserName!, decoded, cancellationToken).ConfigureAwait(false);
            default:
                // RFC 4616: [authzid] NUL authcid NUL passwd. Acting for another identity is not offered.
                var parts = decoded.Split('\0');
                if (parts.Length != 3 || (parts[0].Length > 0 && !string.Equals(parts[0], parts[1], StringComparison.OrdinalIgnoreCase)))
                {
                    return await FailAsync(session, null, SmtpRejection.AuthenticationFailed, cancellationToken).ConfigureAwait(false);
                }

                return await VerifyAsync(session, parts[1], parts[2], cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask<SmtpReply> VerifyAsync(SmtpSession session, string user, string password, CancellationToken cancellationToken)
    {
        UserTable users;
        try
        {
            users = await session.Server.Users.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            EdgeLog.DirectoryFailed(session.Server.Logger, session.ConnectionId, ex);
            return SmtpRejections.Reply(SmtpRejection.StorageFailure);
        }

        // A client may have been throttled by its other connections while this exchange went on.
        var throttle = session.Server.AuthThrottle;
        if (throttle.IsThrottled(session.ClientAddress))
        {
            return RefuseThrottledAddress(session);
        }

        var account = users.Find(user);
        if (account is not null && throttle.IsThrottled(account.Name))
        {
            // Refused without a hash, after the same delay as a wrong password, and counted against the client's address.
            EdgeLog.AuthRefusedThrottled(session.Server.Logger, session.ConnectionId, AuthThrottleScope.Account);
            return await FailAsync(session, null, SmtpRejection.AuthThrottledAccount, cancellationToken).ConfigureAwait(false);
        }

        // The hash is computed for unknown users too, so timing does not tell which names exist. It takes tens of
        // milliseconds of CPU, so it runs on the thread pool: the session may be on a socket event thread (the image
        // runs socket continuations inline), which must not stall every other connection meanwhile.
        var hash = account is { CanLogIn: true } ? account.PasswordHash : null;
        if (await Task.Run(() => PasswordHasher.Verify(password, hash), cancellationToken).ConfigureAwait(false) && account is not null)
        {
            session.Authenticate(account);
            EdgeLog.Authenticated(session.Server.Logger, session.ConnectionId, account.Name);
            return SmtpReplies.Authenticated;
        }

        return await FailAsync(session, account?.Name, SmtpRejection.AuthenticationFailed, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="account">The existing account the client failed to log in to, counted across connections; null when none is.</param>
    private static async ValueTask<SmtpReply> FailAsync(SmtpSession session, string? account, SmtpRejection rejection, CancellationToken cancellationToken)
    {
        var server = session.Server;
        session.AuthFailures++;
        EdgeLog.AuthenticationFailed(server.Logger, session.ConnectionId, session.AuthFailures);
        var throttled = server.AuthThrottle.RecordFailure(session.ClientAddress, account);
        if (throttled != AuthThrottleScope.None)
        {
            var key = throttled == AuthThrottleScope.Account ? account! : AuthThrottle.KeyOf(session.ClientAddress).ToString();
            EdgeLog.AuthThrottled(server.Logger, session.ConnectionId, throttled, key);
            server.Telemetry.AuthThrottled(session, throttled, key);
        }

        await Task.Delay(server.Options.Limits.AuthFailureDelay, server.Time, cancellationToken).ConfigureAwait(false);
        return SmtpRejections.Reply(rejection);
    }

    // The client keeps reconnecting to guess: it is told to go away and the connection is closed, with no hash computed.
    private static SmtpReply RefuseThrottledAddress(SmtpSession session)
    {
        EdgeLog.AuthRefusedThrottled(session.Server.Logger, session.ConnectionId, AuthThrottleScope.Address);
        session.State = SmtpState.Closed;
        return SmtpRejections.Reply(SmtpRejection.AuthThrottledAddress);
    }

    private static bool TryDecode(ReadOnlySequence<byte> line, out string decoded)
    {
        decoded = string.Empty;
        if (line.Length > MaxDecoded * 2)
        {
            return false;
        }

        // "=" is RFC 4954's empty initial response.
        if (AsciiSequence.EqualsIgnoreCase(line, "="u8))
        {
            return true;
        }

        var encoded = line.ToArray();
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (Base64.DecodeFromUtf8(encoded, bytes, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
