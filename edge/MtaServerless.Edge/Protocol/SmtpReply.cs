using System.Buffers;
using System.Text;

namespace MtaServerless.Edge.Protocol;

/// <summary>A reply encoded once: well-known replies are static instances written straight to the pipe.</summary>
internal sealed class SmtpReply
{
    private readonly byte[] _bytes;

    private SmtpReply(int code, byte[] bytes)
    {
        Code = code;
        _bytes = bytes;
    }

    public int Code { get; }

    public bool IsPositive => Code < 400;

    /// <param name="enhancedCode">RFC 3463 code; RFC 2034 leaves it off the greeting, HELO/EHLO replies and 354.</param>
    public static SmtpReply Create(int code, string? enhancedCode, string text) =>
        new(code, Encoding.ASCII.GetBytes(enhancedCode is null ? $"{code} {text}\r\n" : $"{code} {enhancedCode} {text}\r\n"));

    public static SmtpReply MultiLine(int code, IReadOnlyList<string> lines)
    {
        var text = new StringBuilder();
        for (var i = 0; i < lines.Count; i++)
        {
            text.Append(code).Append(i == lines.Count - 1 ? ' ' : '-').Append(lines[i]).Append("\r\n");
        }

        return new(code, Encoding.ASCII.GetBytes(text.ToString()));
    }

    public void WriteTo(IBufferWriter<byte> writer) => writer.Write(_bytes);
}
