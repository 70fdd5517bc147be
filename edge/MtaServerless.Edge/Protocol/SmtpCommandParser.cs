using System.Buffers;

namespace MtaServerless.Edge.Protocol;

/// <summary>Recognises the verb of one complete command line from its bytes; no string is made here.</summary>
internal static class SmtpCommandParser
{
    // ORing 0x20 into each byte folds ASCII upper case into lower case, and maps no other byte onto a lower-case letter.
    private const uint CaseFold = 0x20202020;

    public static bool TryParse(ReadOnlySequence<byte> line, out SmtpCommand command, out SmtpRejection rejection)
    {
        command = default;
        if (line.PositionOf((byte)'\r') is not null || line.PositionOf((byte)'\n') is not null)
        {
            rejection = SmtpRejection.BareLineBreakInCommand;
            return false;
        }

        rejection = SmtpRejection.UnknownCommand;
        var reader = new SequenceReader<byte>(line);
        if (!reader.TryReadBigEndian(out int word))
        {
            return false;
        }

        SmtpVerb? verb = ((uint)word | CaseFold) switch
        {
            Helo => SmtpVerb.Helo,
            Ehlo => SmtpVerb.Ehlo,
            Mail => SmtpVerb.Mail,
            Rcpt => SmtpVerb.Rcpt,
            Data => SmtpVerb.Data,
            Rset => SmtpVerb.Rset,
            Noop => SmtpVerb.Noop,
            Quit => SmtpVerb.Quit,
            Bdat => SmtpVerb.Bdat,
            Help => SmtpVerb.Help,
            Vrfy => SmtpVerb.Vrfy,
            Auth => SmtpVerb.Auth,
            Star when reader.TryReadBigEndian(out int rest) && ((uint)rest | CaseFold) == Ttls => SmtpVerb.StartTls,
            _ => null,
        };

        if (verb is null || !(reader.End || reader.IsNext((byte)' ', advancePast: true)))
        {
            return false;
        }

        reader.AdvancePast((byte)' ');
        command = new SmtpCommand(verb.Value, reader.UnreadSequence);
        return true;
    }

    // Every verb of RFC 5321 has four letters, so a verb is one big-endian word; STARTTLS is two.
    private const uint Helo = 'h' << 24 | 'e' << 16 | 'l' << 8 | 'o';
    private const uint Ehlo = 'e' << 24 | 'h' << 16 | 'l' << 8 | 'o';
    private const uint Mail = 'm' << 24 | 'a' << 16 | 'i' << 8 | 'l';
    private const uint Rcpt = 'r' << 24 | 'c' << 16 | 'p' << 8 | 't';
    private const uint Data = 'd' << 24 | 'a' << 16 | 't' << 8 | 'a';
    private const uint Rset = 'r' << 24 | 's' << 16 | 'e' << 8 | 't';
    private const uint Noop = 'n' << 24 | 'o' << 16 | 'o' << 8 | 'p';
    private const uint Quit = 'q' << 24 | 'u' << 16 | 'i' << 8 | 't';
    private const uint Bdat = 'b' << 24 | 'd' << 16 | 'a' << 8 | 't';
    private const uint Help = 'h' << 24 | 'e' << 16 | 'l' << 8 | 'p';
    private const uint Vrfy = 'v' << 24 | 'r' << 16 | 'f' << 8 | 'y';
    private const uint Auth = 'a' << 24 | 'u' << 16 | 't' << 8 | 'h';
    private const uint Star = 's' << 24 | 't' << 16 | 'a' << 8 | 'r';
    private const uint Ttls = 't' << 24 | 't' << 16 | 'l' << 8 | 's';
}
