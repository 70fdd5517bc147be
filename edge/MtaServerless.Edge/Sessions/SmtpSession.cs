using System.Net;
using MtaServerless.Core.Documents;

namespace MtaServerless.Edge.Sessions;

/// <summary>The protocol state of one connection: who the client is and the open mail transaction. No I/O here.</summary>
internal sealed class SmtpSession(SmtpServerContext server, string connectionId, string listener, IPEndPoint remote)
{
    private readonly List<EnvelopeRecipient> _recipients = [];
    private string _mailFrom = string.Empty;
    private string? _bodyType;

    public SmtpServerContext Server { get; } = server;

    public string ConnectionId { get; } = connectionId;

    public SmtpState State { get; set; } = SmtpState.Connected;

    public string Helo { get; private set; } = string.Empty;

    /// <summary>The RFC 3848 <c>with</c> keyword for the Received header.</summary>
    public string Protocol { get; private set; } = "SMTP";

    /// <summary>Set between the 354 and the end of data.</summary>
    public DataReceiver? Data { get; set; }

    public void Identify(string helo, bool extended)
    {
        Helo = helo;
        Protocol = extended ? "ESMTP" : "SMTP";
        ResetTransaction();
    }

    public void StartTransaction(string mailFrom, string? bodyType)
    {
        _mailFrom = mailFrom;
        _bodyType = bodyType;
        _recipients.Clear();
    }

    public void AddRecipient(string address) => _recipients.Add(new EnvelopeRecipient(address));

    public void ResetTransaction() => StartTransaction(string.Empty, null);

    public Envelope CreateEnvelope() => new(_mailFrom, [.. _recipients], _bodyType);

    public SessionInfo CreateSessionInfo(DateTimeOffset receivedAt)
    {
        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return new SessionInfo(address.ToString(), Helo, Protocol, listener, receivedAt, Server.Options.HostName);
    }
}
