using System.Text;
using MtaServerless.Core.Mail;

namespace MtaServerless.Edge.Protocol;

/// <summary>
/// The mailboxes of an unfolded <c>From:</c> or <c>Sender:</c> value: RFC 5322 3.4's address list (display names,
/// angle addresses, groups, comments, quoted strings) with 4.4's obsolete forms (routes, empty list elements,
/// white space around dots). What it cannot read is refused rather than guessed at: a reader's program might show
/// the part we skipped as the author.
/// </summary>
internal static class HeaderAddressList
{
    private const string Specials = "<>:;@,.";

    private enum Kind
    {
        Atom,
        Quoted,
        Literal,
        Special,
    }

    /// <param name="mailboxes">Receives each mailbox: the domain normalized (an A-label), or an address literal as written.</param>
    /// <returns>False when the value is not an address list.</returns>
    public static bool TryParse(string value, List<MailboxAddress> mailboxes)
    {
        var tokens = new List<(Kind Kind, string Text)>();
        if (!TryTokenize(value, tokens))
        {
            return false;
        }

        var parser = new Parser(tokens, mailboxes);
        return parser.TryParseList();
    }

    // Comments and white space go; quoted strings lose their quotes and backslashes.
    private static bool TryTokenize(string value, List<(Kind Kind, string Text)> tokens)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case ' ' or '\t' or '\r' or '\n':
                    break;
                case '(':
                    if (!TrySkipComment(value, ref i))
                    {
                        return false;
                    }

                    break;
                case '"':
                    if (!TryReadQuoted(value, ref i, out var quoted))
                    {
                        return false;
                    }

                    tokens.Add((Kind.Quoted, quoted));
                    break;
                case '[':
                    var close = value.IndexOfAny(['[', ']', '\\'], i + 1);
                    if (close < 0 || value[close] != ']')
                    {
                        return false;
                    }

                    tokens.Add((Kind.Literal, value[i..(close + 1)]));
                    i = close;
                    break;
                case ')' or ']' or '\\':
                    return false;
                default:
                    if (Specials.Contains(c, StringComparison.Ordinal))
                    {
                        tokens.Add((Kind.Special, c.ToString()));
                        break;
                    }

                    var start = i;
                    while (i + 1 < value.Length && !IsDelimiter(value[i + 1]))
                    {
                        i++;
                    }

                    tokens.Add((Kind.Atom, value[start..(i + 1)]));
                    break;
            }
        }

        return true;
    }

    private static bool IsDelimiter(char c) => c is ' ' or '\t' or '\r' or '\n' or '(' or ')' or '"' or '[' or ']' or '\\' || Specials.Contains(c, StringComparison.Ordinal);

    private static bool TrySkipComment(string value, ref int i)
    {
        var depth = 0;
        for (; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '\\':
                    i++;
                    break;
                case '(':
                    depth++;
                    break;
                case ')' when --depth == 0:
                    return true;
            }
        }

        return false;
    }

    private static bool TryReadQuoted(string value, ref int i, out string content)
    {
        var text = new StringBuilder();
        for (i++; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                content = text.ToString();
                return true;
            }

            if (c == '\\' && ++i == value.Length)
            {
                break;
            }

            text.Append(value[i]);
        }

        content = string.Empty;
        return false;
    }

    private ref struct Parser(List<(Kind Kind, string Text)> tokens, List<MailboxAddress> mailboxes)
    {
        private int _next;

        private readonly bool AtEnd => _next == tokens.Count;

        public bool TryParseList()
        {
            while (!AtEnd)
            {
                // An empty element between commas is obsolete but harmless.
                if (!Take(',') && (!TryParseAddress() || !(AtEnd || Take(','))))
                {
                    return false;
                }
            }

            return true;
        }

        // address = mailbox / group; a group is a display name, a colon, mailboxes, and a semicolon.
        private bool TryParseAddress()
        {
            var start = _next;
            SkipPhrase();
            if (_next > start && Take(':'))
            {
                while (!Take(';'))
                {
                    if (AtEnd || (!Take(',') && (!TryParseMailbox() || !(Is(',') || Is(';')))))
                    {
                        return false;
                    }
                }

                return true;
            }

            _next = start;
            return TryParseMailbox();
        }

        // mailbox = [display-name] "<" [obs-route] addr-spec ">" / addr-spec
        private bool TryParseMailbox()
        {
            var start = _next;
            SkipPhrase();
            if (!Take('<'))
            {
                _next = start;
                return TryParseAddrSpec();
            }

            if (Is('@'))
            {
                while (!Take(':'))
                {
                    if (AtEnd || Is('>'))
                    {
                        return false;
                    }

                    _next++;
                }
            }

            return TryParseAddrSpec() && Take('>');
        }

        // addr-spec = local-part "@" domain; the local part is words joined by dots, the domain atoms or a literal.
        private bool TryParseAddrSpec()
        {
            var local = new StringBuilder();
            var quoted = false;
            do
            {
                if (AtEnd || tokens[_next].Kind is not (Kind.Atom or Kind.Quoted))
                {
                    return false;
                }

                quoted |= tokens[_next].Kind == Kind.Quoted;
                local.Append(local.Length == 0 ? string.Empty : ".").Append(tokens[_next++].Text);
            }
            while (Take('.'));

            if (!Take('@') || AtEnd)
            {
                return false;
            }

            string domain;
            if (tokens[_next].Kind == Kind.Literal)
            {
                domain = tokens[_next++].Text;
            }
            else
            {
                var labels = new StringBuilder();
                do
                {
                    if (AtEnd || tokens[_next].Kind != Kind.Atom)
                    {
                        return false;
                    }

                    labels.Append(labels.Length == 0 ? string.Empty : ".").Append(tokens[_next++].Text);
                }
                while (Take('.'));

                if (!DomainName.TryNormalize(labels.ToString(), out domain))
                {
                    return false;
                }
            }

            // Kept in RFC 5321 form: what was quoted is quoted again, so that UnquotedLocalPart gives exactly its content.
            var localPart = quoted ? "\"" + local.ToString().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : local.ToString();
            mailboxes.Add(new MailboxAddress(localPart, domain));
            return true;
        }

        // A display name: words, and the dots of obsolete phrases (John Q. Public).
        private void SkipPhrase()
        {
            while (!AtEnd && (tokens[_next].Kind is Kind.Atom or Kind.Quoted || Is('.')))
            {
                _next++;
            }
        }

        private readonly bool Is(char special) => !AtEnd && tokens[_next] is (Kind.Special, var text) && text[0] == special;

        private bool Take(char special)
        {
            if (!Is(special))
            {
                return false;
            }

            _next++;
            return true;
        }
    }
}
