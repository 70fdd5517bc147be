using System.Text;

namespace MtaServerless.Core.Mail;

/// <summary>
/// RFC 3461 section 4 xtext, the encoding of the ENVID and ORCPT parameters: printable ASCII except
/// <c>+</c> and <c>=</c> stand for themselves, every other octet is <c>+</c> and two upper-case hex digits.
/// Values are decoded once where a client gives them and encoded once where a next hop receives them.
/// </summary>
public static class Xtext
{
    private const string HexDigits = "0123456789ABCDEF";

    /// <returns>False when the text is not xtext (a bare <c>+</c>, lower-case hex, a character outside 33-126, or <c>=</c>).</returns>
    public static bool TryDecode(string xtext, out string decoded)
    {
        ArgumentNullException.ThrowIfNull(xtext);
        decoded = string.Empty;
        var octets = new List<byte>(xtext.Length);
        for (var i = 0; i < xtext.Length; i++)
        {
            var c = xtext[i];
            if (c == '+')
            {
                var high = i + 1 < xtext.Length ? HexDigits.IndexOf(xtext[i + 1], StringComparison.Ordinal) : -1;
                var low = i + 2 < xtext.Length ? HexDigits.IndexOf(xtext[i + 2], StringComparison.Ordinal) : -1;
                if (high < 0 || low < 0)
                {
                    return false;
                }

                octets.Add((byte)((high << 4) | low));
                i += 2;
            }
            else if (c is >= '!' and <= '~' and not '=')
            {
                octets.Add((byte)c);
            }
            else
            {
                return false;
            }
        }

        decoded = Encoding.UTF8.GetString([.. octets]);
        return true;
    }

    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length);
        foreach (var octet in Encoding.UTF8.GetBytes(value))
        {
            if (octet is >= (byte)'!' and <= (byte)'~' and not (byte)'+' and not (byte)'=')
            {
                builder.Append((char)octet);
            }
            else
            {
                builder.Append('+').Append(HexDigits[octet >> 4]).Append(HexDigits[octet & 0xF]);
            }
        }

        return builder.ToString();
    }
}
