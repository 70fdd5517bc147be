using System.Globalization;
using System.Text;
using MtaServerless.Core.Deliveries;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Mail;

namespace MtaServerless.Pipeline.Deliver.Smtp;

/// <summary>
/// One mail transaction on a connection that is ready for MAIL: the envelope with the parameters the
/// hop understands, then the message by DATA or BDAT. Every reply becomes an outcome where it arrives:
/// a refused MAIL decides every recipient (the replies to RCPTs pipelined after it say nothing about them),
/// a refused RCPT decides its recipient, the reply to the message decides the others. A connection that
/// breaks leaves the recipients no reply decided deferred, and keeps the replies that came before.
/// </summary>
internal sealed class RelayTransaction(HopConnection connection, RelayEnvelope envelope, PipelineOptions options)
{
    private const int WriteBufferSize = 64 * 1024;

    private readonly string _host = connection.Hop.Name;
    private readonly HopCapabilities _capabilities = connection.Capabilities;
    private readonly DeliveryOutcome?[] _outcomes = new DeliveryOutcome?[envelope.Recipients.Count];

    /// <summary>Why the connection broke, when it did; the outcomes say what it cost.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Whether the hop answered any command of this transaction: until it did, nothing of it can have been delivered.</summary>
    public bool AnyReplyRead { get; private set; }

    public async Task<IReadOnlyList<RecipientOutcome>> RunAsync(StoredMessage message, CancellationToken cancellationToken)
    {
        if (envelope.SmtpUtf8 && (envelope.HasInternationalAddress || message.Shape.HeadersEightBit) && !_capabilities.SmtpUtf8)
        {
            return DecideAll(LocalOutcomes.NeedsSmtpUtf8(_host));
        }

        var eightBit = message.Shape.EightBit || string.Equals(envelope.Body, "8BITMIME", StringComparison.OrdinalIgnoreCase);
        if (eightBit && !_capabilities.EightBitMime && message.Shape.EightBit)
        {
            if (message.Shape.HeadersEightBit)
            {
                return DecideAll(LocalOutcomes.NeedsEightBitMime(_host));
            }

            await using var converted = await message.ToSevenBitAsync(cancellationToken).ConfigureAwait(false);
            return await SendAsync(converted, eightBitMime: false, cancellationToken).ConfigureAwait(false);
        }

        return await SendAsync(message, eightBit && _capabilities.EightBitMime, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<RecipientOutcome>> SendAsync(StoredMessage message, bool eightBitMime, CancellationToken cancellationToken)
    {
        var accepted = new List<int>();
        // One budget for the whole transaction, MAIL to the reply after the message; each reply also within CommandTimeout.
        using var whole = HopTimeout.Within(options.DataTimeout, cancellationToken);
        try
        {
            var mail = await EnvelopeAsync(message.Length, eightBitMime, accepted, whole.Token).ConfigureAwait(false);
            if (!mail.IsPositive)
            {
                return DecideAll(mail.ToOutcome(_host));
            }

            if (accepted.Count == 0)
            {
                return Result();
            }

            var reply = await MessageAsync(message, whole.Token).ConfigureAwait(false);
            foreach (var index in accepted)
            {
                _outcomes[index] = reply.IsIntermediate ? throw new HopProtocolException($"The next hop answered the message with {reply}.") : reply.ToOutcome(_host);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Whatever broke (I/O, TLS, a timeout, a protocol violation), the replies already read stand.
            for (var i = 0; i < _outcomes.Length; i++)
            {
                _outcomes[i] ??= LocalOutcomes.ConnectionLost(_host);
            }

            Failure = ex;
        }

        return Result();
    }

    /// <summary>MAIL and RCPT, pipelined when the hop offers it (RFC 2920): every reply is read before any is acted on.</summary>
    /// <returns>The reply to MAIL; the recipients the hop accepted are added to <paramref name="accepted"/>, the others decided.</returns>
    private async Task<HopReply> EnvelopeAsync(long size, bool eightBitMime, List<int> accepted, CancellationToken cancellationToken)
    {
        var commands = new List<string>(envelope.Recipients.Count + 1) { MailCommand(size, eightBitMime) };
        commands.AddRange(envelope.Recipients.Select(RcptCommand));
        if (_capabilities.Pipelining)
        {
            using var write = HopTimeout.Within(options.CommandTimeout, cancellationToken);
            await connection.SendAsync(commands, write.Token).ConfigureAwait(false);
        }

        HopReply mail = default;
        for (var i = 0; i < commands.Count; i++)
        {
            using var step = HopTimeout.Within(options.CommandTimeout, cancellationToken);
            var reply = _capabilities.Pipelining
                ? await connection.ReadReplyAsync(step.Token).ConfigureAwait(false)
                : await connection.CommandAsync(commands[i], step.Token).ConfigureAwait(false);
            AnyReplyRead = true;
            if (i == 0)
            {
                mail = reply;
                if (!mail.IsPositive)
                {
                    // The replies to pipelined RCPTs (503 "need MAIL") are not the recipients' own; the connection ends after this transaction, so they are left unread.
                    return mail;
                }
            }
            else if (reply.IsPositive)
            {
                accepted.Add(i - 1);
            }
            else
            {
                _outcomes[i - 1] = reply.ToOutcome(_host);
            }
        }

        return mail;
    }

    /// <summary>The message by BDAT when the hop offers CHUNKING (RFC 3030: the bytes as they are), else by DATA, dot-stuffed.</summary>
    private async Task<HopReply> MessageAsync(StoredMessage message, CancellationToken transfer)
    {
        var output = new BufferedStream(connection.Stream, WriteBufferSize);
        if (_capabilities.Chunking)
        {
            await output.WriteAsync(Encoding.ASCII.GetBytes($"BDAT {message.Length.ToString(CultureInfo.InvariantCulture)} LAST\r\n"), transfer).ConfigureAwait(false);
            await message.WriteToAsync(output, transfer).ConfigureAwait(false);
            await output.FlushAsync(transfer).ConfigureAwait(false);
            return await connection.ReadReplyAsync(transfer).ConfigureAwait(false);
        }

        HopReply data;
        using (var step = HopTimeout.Within(options.CommandTimeout, transfer))
        {
            data = await connection.CommandAsync("DATA", step.Token).ConfigureAwait(false);
        }

        if (data.Code != 354)
        {
            return data.IsPositive ? throw new HopProtocolException($"The next hop answered DATA with {data}.") : data;
        }

        var stuffed = new DotStuffingStream(output);
        await message.WriteToAsync(stuffed, transfer).ConfigureAwait(false);
        await stuffed.EndAsync(transfer).ConfigureAwait(false);
        return await connection.ReadReplyAsync(transfer).ConfigureAwait(false);
    }

    private string MailCommand(long size, bool eightBitMime)
    {
        var command = new StringBuilder($"MAIL FROM:<{envelope.MailFrom}>");
        if (_capabilities.Size)
        {
            command.Append(CultureInfo.InvariantCulture, $" SIZE={size}");
        }

        if (eightBitMime)
        {
            command.Append(" BODY=8BITMIME");
        }

        if (envelope.SmtpUtf8 && _capabilities.SmtpUtf8)
        {
            command.Append(" SMTPUTF8");
        }

        if (_capabilities.Dsn && envelope.Ret is { } ret)
        {
            command.Append(ret == DsnReturn.Full ? " RET=FULL" : " RET=HDRS");
        }

        if (_capabilities.Dsn && envelope.EnvId is { Length: > 0 } envId)
        {
            command.Append(" ENVID=").Append(Xtext.Encode(envId));
        }

        return command.ToString();
    }

    /// <summary>RFC 3461 6.2: NOTIFY and ORCPT go on as the client gave them, ORCPT encoded once.</summary>
    private string RcptCommand(RelayRecipient recipient)
    {
        var command = new StringBuilder($"RCPT TO:<{recipient.Address}>");
        if (_capabilities.Dsn && recipient.Notify != DsnNotify.None)
        {
            command.Append(" NOTIFY=").Append(DsnNotifyKeywords.Format(recipient.Notify));
        }

        if (_capabilities.Dsn && recipient.Orcpt is { } orcpt)
        {
            command.Append(" ORCPT=").Append(orcpt.AddressType).Append(';').Append(Xtext.Encode(orcpt.Address));
        }

        return command.ToString();
    }

    private IReadOnlyList<RecipientOutcome> DecideAll(DeliveryOutcome outcome)
    {
        Array.Fill(_outcomes, outcome);
        return Result();
    }

    private List<RecipientOutcome> Result() =>
        envelope.Recipients.Select((r, i) => new RecipientOutcome(r.Address, _outcomes[i] ?? LocalOutcomes.ConnectionLost(_host))).ToList();
}
