using System.Text;

namespace MtaServerless.Tests.Delivery;

/// <summary>
/// Stored messages a MIME library would be tempted to rewrite: UTF-8 header fields with quoted addresses,
/// long folded fields, Bcc and Content-Length (which MailKit drops on send), 8-bit and binary-looking
/// bodies, lines that start with a period, no body, 998-octet lines, no CRLF at the end, broken MIME.
/// </summary>
internal static class RelayCorpus
{
    /// <summary>The spooled bytes, and whether the client declared SMTPUTF8.</summary>
    public static IReadOnlyDictionary<string, (byte[] Stored, bool SmtpUtf8)> Messages { get; } = new Dictionary<string, (byte[], bool)>
    {
        ["utf8-headers"] = (Utf8(
            "From: \"Jöhn Dœ\" <john@example.org>\r\nTo: \"Ünïcode, Person\" <x@example.com>, <plain@example.com>\r\n"
            + "Subject: Grüße aus Köln\r\nMessage-ID: <a1@example.org>\r\n\r\nHallo Wörld\r\n"), true),
        ["long-folded-headers"] = (Utf8(
            "Subject: a subject that goes on\r\n and on over\r\n\tthree lines\r\nReferences: "
            + string.Join("\r\n ", Enumerable.Range(0, 40).Select(i => $"<message-{i}@example.org>"))
            + "\r\nX-Long: " + new string('x', 900) + "\r\n\r\nbody\r\n"), false),
        ["bcc-and-content-length"] = (Utf8(
            "From: a@example.org\r\nTo: b@example.com\r\nBcc: hidden@example.com\r\nResent-Bcc: also-hidden@example.com\r\n"
            + "Content-Length: 42\r\nSubject: what MailKit hides\r\n\r\nbody\r\n"), false),
        ["eight-bit-body"] = (Bytes(
            "Subject: latin-1\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            [0xC4, 0xD6, 0xDC, 0xE4, 0xF6, 0xFC, 0xDF, (byte)'\r', (byte)'\n']), false),
        ["binary-looking-attachment"] = (Utf8(
            "Subject: attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n"
            + "Content-Type: text/plain\r\n\r\n.a line that starts with a period\r\n..and two\r\n.\r\n--b1\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + Convert.ToBase64String(Enumerable.Range(0, 600).Select(i => (byte)(i * 7)).ToArray(), Base64FormattingOptions.InsertLineBreaks)
            + "\r\n--b1--\r\nepilogue\r\n"), false),
        ["empty-body"] = (Utf8("Subject: nothing to say\r\n\r\n"), false),
        ["headers-only"] = (Utf8("Subject: no separator\r\nX-Other: field\r\n"), false),
        ["998-octet-lines"] = (Utf8("Subject: long lines\r\nX-Wide: " + new string('h', 990) + "\r\n\r\n" + new string('b', 998) + "\r\n" + new string('c', 998) + "\r\n"), false),
        ["no-final-crlf"] = (Utf8("Subject: BDAT without a last line end\r\n\r\nlast line"), false),
        ["broken-mime"] = (Utf8(
            "Subject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"never-closed\"\r\n"
            + "Content-Transfer-Encoding: 7bit\r\n\r\n--never-closed\r\nContent-Type: text/plain; charset=\"\r\n\r\ntext\r\n--wrong-boundary--\r\n"), false),
    };

    public static TheoryData<string> Names { get; } = new(Messages.Keys);

    /// <summary>Postfix's cleanup(8) drops Bcc, Resent-Bcc and Content-Length from whatever it receives, so that message cannot be compared with its copy.</summary>
    public static TheoryData<string> NamesForPostfix { get; } = new(Messages.Keys.Where(name => name != "bcc-and-content-length"));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Bytes(string head, byte[] tail) => [.. Encoding.ASCII.GetBytes(head), .. tail];
}
