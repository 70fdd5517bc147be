using System.Net;
using System.Net.Sockets;
using MimeKit.Utils;
using MtaServerless.Core.Documents;

namespace MtaServerless.Pipeline.Ingest;

/// <summary>
/// The RFC 5321 section 4.4 trace header for one accepted message:
/// <c>Received: from helo ([ip]) by host with ESMTP id X for &lt;rcpt&gt;; date</c>, folded at clause
/// white space so that no line exceeds 78 characters where that is possible.
/// </summary>
public static class ReceivedHeader
{
    public const int PreferredLineLength = FoldedField.PreferredLineLength;

    /// <returns>The whole header field, CRLF-terminated, ready to be sent before the stored message.</returns>
    public static string Build(InboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var session = message.Session;
        // Each token may start a continuation line; RFC 5321 allows folding white space between all of them.
        var tokens = new List<string>(10)
        {
            $"from {Sanitize(session.Helo)}",
            $"({AddressLiteral(session.ClientAddress)})",
            $"by {Sanitize(session.EdgeHost)}",
            $"with {session.Protocol}",
        };
        if (session.Tls is { Length: > 0 } tls)
        {
            tokens.Add($"({Sanitize(tls, allowSpace: true)})");
        }

        tokens.Add($"id {message.Id}");
        if (message.Envelope.Recipients is [var only])
        {
            tokens.Add($"for <{Sanitize(only.Address)}>");
        }

        tokens[^1] += ";";
        tokens.Add(DateUtils.FormatDate(session.ReceivedAt));
        return FoldedField.Fold("Received:", [tokens]);
    }

    /// <summary>RFC 5321 address literal: <c>[192.0.2.1]</c> or <c>[IPv6:2001:db8::1]</c>.</summary>
    private static string AddressLiteral(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return $"[{Sanitize(address)}]";
        }

        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        return ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{ip}]" : $"[{ip}]";
    }

    /// <summary>Client-supplied names must not break the header: no line breaks, no parentheses, no non-ASCII.</summary>
    private static string Sanitize(string value, bool allowSpace = false)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "unknown";
        }

        return string.Create(value.Length, (value, allowSpace), static (span, state) =>
        {
            for (var i = 0; i < state.value.Length; i++)
            {
                var c = state.value[i];
                var safe = (c is > ' ' and < '\x7f' and not '(' and not ')' and not '\\' and not ';') || (c == ' ' && state.allowSpace);
                span[i] = safe ? c : '?';
            }
        });
    }
}
