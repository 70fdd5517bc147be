using System.Collections.Frozen;
using MtaServerless.Edge.Protocol;

namespace MtaServerless.Edge.Sessions;

/// <summary>
/// Which verb is allowed in which state, and the state a successful reply leads to. A verb missing from a
/// state's row is answered 503 5.5.1; a refused command leaves the state as it was.
/// </summary>
internal static class SmtpStateTable
{
    // HELO, EHLO and RSET end any open transaction (RFC 5321 4.1.4); DATA hands the transaction to the
    // DATA phase and the session is back to Identified when it ends, whatever its outcome. BDAT leads to
    // Chunking; the connection moves on to Identified when the LAST chunk (or a refused one) ends it.
    // STARTTLS leads back to Connected: a new EHLO is required over TLS.
    private static readonly FrozenDictionary<SmtpState, FrozenDictionary<SmtpVerb, SmtpState>> Table =
        new Dictionary<SmtpState, FrozenDictionary<SmtpVerb, SmtpState>>
        {
            [SmtpState.Connected] = Row(
                SmtpState.Connected,
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified)),
            [SmtpState.Identified] = Row(
                SmtpState.Identified,
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Mail, SmtpState.MailGiven),
                (SmtpVerb.Auth, SmtpState.Identified),
                (SmtpVerb.StartTls, SmtpState.Connected)),
            [SmtpState.MailGiven] = Row(
                SmtpState.MailGiven,
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Rcpt, SmtpState.RecipientGiven)),
            [SmtpState.RecipientGiven] = Row(
                SmtpState.RecipientGiven,
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Rcpt, SmtpState.RecipientGiven),
                (SmtpVerb.Data, SmtpState.Identified),
                (SmtpVerb.Bdat, SmtpState.Chunking)),
            [SmtpState.Chunking] = Row(
                SmtpState.Chunking,
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Bdat, SmtpState.Chunking)),
            [SmtpState.Closed] = FrozenDictionary<SmtpVerb, SmtpState>.Empty,
        }.ToFrozenDictionary();

    public static bool TryGetNext(SmtpState state, SmtpVerb verb, out SmtpState next) => Table[state].TryGetValue(verb, out next);

    /// <summary>A row: the given transitions, plus the verbs every open state allows (RSET, NOOP, HELP, VRFY, QUIT).</summary>
    private static FrozenDictionary<SmtpVerb, SmtpState> Row(SmtpState state, params (SmtpVerb Verb, SmtpState Next)[] transitions)
    {
        var reset = state == SmtpState.Connected ? SmtpState.Connected : SmtpState.Identified;
        (SmtpVerb, SmtpState)[] always =
        [
            (SmtpVerb.Rset, reset),
            (SmtpVerb.Noop, state),
            (SmtpVerb.Help, state),
            (SmtpVerb.Vrfy, state),
            (SmtpVerb.Quit, SmtpState.Closed),
        ];
        return transitions.Concat(always).ToFrozenDictionary(t => t.Item1, t => t.Item2);
    }
}
