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
    // DATA phase and the session is back to Identified when it ends, whatever its outcome.
    private static readonly FrozenDictionary<SmtpState, FrozenDictionary<SmtpVerb, SmtpState>> Table =
        new Dictionary<SmtpState, FrozenDictionary<SmtpVerb, SmtpState>>
        {
            [SmtpState.Connected] = Row(
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Rset, SmtpState.Connected),
                (SmtpVerb.Noop, SmtpState.Connected),
                (SmtpVerb.Quit, SmtpState.Closed)),
            [SmtpState.Identified] = Row(
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Mail, SmtpState.MailGiven),
                (SmtpVerb.Rset, SmtpState.Identified),
                (SmtpVerb.Noop, SmtpState.Identified),
                (SmtpVerb.Quit, SmtpState.Closed)),
            [SmtpState.MailGiven] = Row(
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Rcpt, SmtpState.RecipientGiven),
                (SmtpVerb.Rset, SmtpState.Identified),
                (SmtpVerb.Noop, SmtpState.MailGiven),
                (SmtpVerb.Quit, SmtpState.Closed)),
            [SmtpState.RecipientGiven] = Row(
                (SmtpVerb.Helo, SmtpState.Identified),
                (SmtpVerb.Ehlo, SmtpState.Identified),
                (SmtpVerb.Rcpt, SmtpState.RecipientGiven),
                (SmtpVerb.Data, SmtpState.Identified),
                (SmtpVerb.Rset, SmtpState.Identified),
                (SmtpVerb.Noop, SmtpState.RecipientGiven),
                (SmtpVerb.Quit, SmtpState.Closed)),
            [SmtpState.Closed] = Row(),
        }.ToFrozenDictionary();

    public static bool TryGetNext(SmtpState state, SmtpVerb verb, out SmtpState next) => Table[state].TryGetValue(verb, out next);

    private static FrozenDictionary<SmtpVerb, SmtpState> Row(params (SmtpVerb Verb, SmtpState Next)[] transitions) =>
        transitions.ToFrozenDictionary(t => t.Verb, t => t.Next);
}
