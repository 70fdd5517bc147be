namespace MtaServerless.Pipeline.Deliver;

/// <summary>What the next hop said about one recipient: the SMTP reply code and text.</summary>
public sealed record RecipientOutcome(string Recipient, int Code, string Reply)
{
    public bool IsSuccess => Code is >= 200 and < 300;

    public bool IsTransient => Code is >= 400 and < 500;
}

/// <param name="RemoteHost">The host that gave the replies, or the one that could not be reached.</param>
public sealed record RelayResult(string RemoteHost, IReadOnlyList<RecipientOutcome> Outcomes);
