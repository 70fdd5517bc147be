namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>What a next hop offers in its EHLO reply (RFC 5321 4.1.1.1); nothing after HELO.</summary>
internal sealed record HopCapabilities
{
    public static HopCapabilities None { get; } = new();

    public bool Pipelining { get; private init; }

    public bool EightBitMime { get; private init; }

    public bool SmtpUtf8 { get; private init; }

    public bool Dsn { get; private init; }

    public bool Chunking { get; private init; }

    public bool StartTls { get; private init; }

    /// <summary>RFC 1870: the SIZE keyword, so MAIL may declare the message size.</summary>
    public bool Size { get; private init; }

    public IReadOnlySet<string> AuthMechanisms { get; private init; } = new HashSet<string>();

    /// <param name="lines">The EHLO reply's lines; the first is the server's greeting, each other one keyword and its parameters.</param>
    public static HopCapabilities FromEhlo(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var capabilities = new HopCapabilities();
        var mechanisms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
            {
                continue;
            }

            var keyword = words[0].ToUpperInvariant();
            if (keyword == "AUTH")
            {
                mechanisms.UnionWith(words.Skip(1));
                continue;
            }

            capabilities = keyword switch
            {
                "PIPELINING" => capabilities with { Pipelining = true },
                "8BITMIME" => capabilities with { EightBitMime = true },
                "SMTPUTF8" => capabilities with { SmtpUtf8 = true },
                "DSN" => capabilities with { Dsn = true },
                "CHUNKING" => capabilities with { Chunking = true },
                "STARTTLS" => capabilities with { StartTls = true },
                "SIZE" => capabilities with { Size = true },
                _ => capabilities,
            };
        }

        return capabilities with { AuthMechanisms = mechanisms };
    }
}
