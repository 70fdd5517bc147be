using System.Buffers;
using System.Buffers.Text;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions.Commands;

internal static class MailCommand
{
    // RFC 3461 4.4: ENVID is at most 100 printable ASCII characters once decoded.
    private const int MaxEnvIdLength = 100;

    public static SmtpReply Handle(SmtpSession session, ReadOnlySequence<byte> argument)
    {
        if (!session.MayStartTransaction)
        {
            return SmtpRejections.Reply(SmtpRejection.AuthenticationRequired);
        }

        if (!SmtpPath.TryRead(argument, "FROM:"u8, out var path, out var parameters))
        {
            return SmtpRejections.Reply(SmtpRejection.SyntaxError);
        }

        if (!TryReadParameters(parameters, out var mail, out var rejection))
        {
            return SmtpRejections.Reply(rejection);
        }

        if (mail.Size > session.Server.Options.Limits.MaxMessageSize)
        {
            return SmtpRejections.Reply(SmtpRejection.MessageTooBig);
        }

        // The null reverse path <> is how bounces are sent; it must be accepted.
        var mailFrom = string.Empty;
        if (!path.IsEmpty)
        {
            if (!mail.SmtpUtf8 && SmtpPath.IsNonAscii(path))
            {
                return SmtpRejections.Reply(SmtpRejection.NonAsciiAddress);
            }

            if (!SmtpPath.TryGetMailbox(path, mail.SmtpUtf8, out var sender))
            {
                return SmtpRejections.Reply(SmtpRejection.InvalidSender);
            }

            // Only a real address is checked: the null sender is how a user's program sends a receipt or a vacation
            // notice (RFC 3798, RFC 3834), and it forges no one.
            if (SubmissionPolicy.CheckSender(session, sender) is { } refusal)
            {
                return refusal;
            }

            mailFrom = sender.ToString();
        }

        if (SubmissionPolicy.CheckMessage(session) is { } limited)
        {
            return limited;
        }

        session.StartTransaction(mailFrom, mail);
        return SmtpReplies.SenderOk;
    }

    private static bool TryReadParameters(ReadOnlySequence<byte> parameters, out MailParameters mail, out SmtpRejection rejection)
    {
        mail = MailParameters.None;
        rejection = SmtpRejection.SyntaxError;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new SequenceReader<byte>(parameters);
        while (true)
        {
            var status = EsmtpParameters.Read(ref reader, out var keyword, out var value);
            if (status == ParameterStatus.End)
            {
                return true;
            }

            if (status == ParameterStatus.Invalid || !seen.Add(AsciiSequence.GetString(keyword).ToUpperInvariant()))
            {
                return false;
            }

            if (AsciiSequence.EqualsIgnoreCase(keyword, "BODY"u8))
            {
                // RFC 6152: kept in the envelope so a relay knows whether the next hop must offer 8BITMIME.
                mail = mail with { Body = Choose(value, "7BIT", "8BITMIME") };
                if (mail.Body is null)
                {
                    return false;
                }
            }
            else if (AsciiSequence.EqualsIgnoreCase(keyword, "SIZE"u8))
            {
                if (!TryReadNumber(value, out var size))
                {
                    return false;
                }

                mail = mail with { Size = size };
            }
            else if (AsciiSequence.EqualsIgnoreCase(keyword, "SMTPUTF8"u8) && value.IsEmpty)
            {
                mail = mail with { SmtpUtf8 = true };
            }
            else if (AsciiSequence.EqualsIgnoreCase(keyword, "RET"u8))
            {
                mail = mail with { Ret = Choose(value, "FULL", "HDRS") switch { "FULL" => DsnReturn.Full, "HDRS" => DsnReturn.Headers, _ => null } };
                if (mail.Ret is null)
                {
                    return false;
                }
            }
            else if (AsciiSequence.EqualsIgnoreCase(keyword, "ENVID"u8))
            {
                // Decoded once here; the relay encodes it once for the next hop (RFC 3461 4.4).
                if (value.IsEmpty || !Xtext.TryDecode(AsciiSequence.GetString(value), out var envId) || envId.Length > MaxEnvIdLength || !envId.All(c => c is >= ' ' and <= '~'))
                {
                    return false;
                }

                mail = mail with { EnvId = envId };
            }
            else if (!AsciiSequence.EqualsIgnoreCase(keyword, "AUTH"u8))
            {
                // AUTH= (RFC 4954 5) is accepted and ignored: the identity that counts is the session's own.
                rejection = SmtpRejection.UnsupportedParameter;
                return false;
            }
        }
    }

    internal static bool TryReadNumber(ReadOnlySequence<byte> value, out long number)
    {
        number = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        Span<byte> digits = stackalloc byte[(int)value.Length];
        value.CopyTo(digits);
        return digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 && Utf8Parser.TryParse(digits, out number, out _);
    }

    private static string? Choose(ReadOnlySequence<byte> value, string first, string second) =>
        AsciiSequence.EqualsIgnoreCase(value, System.Text.Encoding.ASCII.GetBytes(first)) ? first
        : AsciiSequence.EqualsIgnoreCase(value, System.Text.Encoding.ASCII.GetBytes(second)) ? second
        : null;
}
