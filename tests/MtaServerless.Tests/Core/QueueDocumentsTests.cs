using System.Text.Json;
using System.Text.Json.Nodes;
using MtaServerless.Core.Documents;

namespace MtaServerless.Tests.Core;

public sealed class QueueDocumentsTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 28, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void InboundMessage_SerializeThenDeserialize_RoundTripsEveryField()
    {
        var message = Inbound(2);

        var back = QueueDocuments.DeserializeInbound(QueueDocuments.Serialize(message));

        Assert.Equal(message.Id, back.Id);
        Assert.Equal(message.Blob, back.Blob);
        Assert.Equal(message.Session, back.Session);
        Assert.Equal(message.TraceParent, back.TraceParent);
        Assert.Equal(message.Envelope with { Recipients = [] }, back.Envelope with { Recipients = [] });
        Assert.Equal(message.Envelope.Recipients, back.Envelope.Recipients);
    }

    [Fact]
    public void DeliveryTask_SerializeThenDeserialize_RoundTripsEveryField()
    {
        var task = new DeliveryTask(
            "id1",
            "2026/11/28/id1.eml",
            "alice@example.org",
            ["bob@example.com", "carol@example.com"],
            "Received: from x\r\n",
            3,
            ReceivedAt,
            SmtpUtf8: true,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            DelayWarned: true,
            Redriven: true,
            DmarcFailed: true);

        var json = QueueDocuments.Serialize(task);
        var back = QueueDocuments.DeserializeDelivery(json);

        Assert.Equal(task with { Recipients = [] }, back with { Recipients = [] });
        Assert.Equal(task.Recipients, back.Recipients);
        Assert.True(JsonNode.Parse(json)!["redriven"]!.GetValue<bool>());
    }

    [Fact]
    public void DeliveryTask_WrittenBeforeAuthentication_QuarantinesNothing()
    {
        const string Old = """
            {"id":"id1","blob":"2026/11/28/id1.eml","mailFrom":"alice@example.org","recipients":["bob@example.com"],
             "headers":"Received: from x\r\n","attempt":2,"firstAttemptAt":"2026-11-28T14:00:00+00:00","smtpUtf8":false,
             "dkim":"not-ours","v":1}
            """;

        var back = QueueDocuments.DeserializeDelivery(Old);

        Assert.False(back.DmarcFailed);
        Assert.Equal(["bob@example.com"], back.Recipients);
    }

    [Fact]
    public void DeliveryTask_WrittenBeforeTasksLostTheirRoute_IsStillRead()
    {
        var json = JsonNode.Parse(QueueDocuments.Serialize(new DeliveryTask("id1", "2026/11/28/id1.eml", "alice@example.org", ["bob@example.com"], "Received: from x\r\n", 2, ReceivedAt, SmtpUtf8: false)))!;
        json["route"] = JsonNode.Parse("""{"pattern":"*","action":"smarthost","host":"relay.example.net","port":587}""");

        var back = QueueDocuments.DeserializeDelivery(json.ToJsonString());

        Assert.Equal(["bob@example.com"], back.Recipients);
        Assert.Equal((2, false), (back.Attempt, back.Redriven));
    }

    [Fact]
    public void Serialize_Always_WritesVersionOne()
    {
        var json = JsonNode.Parse(QueueDocuments.Serialize(Inbound(1)))!;

        Assert.Equal(1, json["v"]!.GetValue<int>());
    }

    [Fact]
    public void Deserialize_UnknownVersion_IsRefused()
    {
        var json = JsonNode.Parse(QueueDocuments.Serialize(Inbound(1)))!;
        json["v"] = 2;

        var error = Assert.Throws<JsonException>(() => QueueDocuments.DeserializeInbound(json.ToJsonString()));
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_MissingRequiredField_IsRefused()
    {
        var json = JsonNode.Parse(QueueDocuments.Serialize(Inbound(1)))!.AsObject();
        json.Remove("blob");

        Assert.Throws<JsonException>(() => QueueDocuments.DeserializeInbound(json.ToJsonString()));
    }

    [Fact]
    public void Serialize_HundredRecipients_StaysUnderTheQueueLimit()
    {
        var json = QueueDocuments.Serialize(Inbound(100));

        Assert.InRange(QueueDocuments.EncodedLength(json), 1, QueueDocuments.MaxEncodedBytes);
    }

    [Fact]
    public void Serialize_TooManyRecipients_FailsClearlyInsteadOfTruncating()
    {
        var error = Assert.Throws<QueueDocumentTooLargeException>(() => QueueDocuments.Serialize(Inbound(2000)));

        Assert.True(error.EncodedBytes > QueueDocuments.MaxEncodedBytes);
        Assert.Contains("queue limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Budget_TakesRecipientsUntilTheNextWouldNotFit_AndTheDocumentThenSerializes()
    {
        var full = Inbound(2000);
        var budget = InboundDocumentBudget.For(full.Envelope, full.Session);
        var taken = full.Envelope.Recipients.TakeWhile(budget.TryAdd).Count();

        Assert.InRange(taken, 2, 1999);
        var fits = full with { Envelope = full.Envelope with { Recipients = full.Envelope.Recipients.Take(taken).ToList() } };
        Assert.InRange(QueueDocuments.EncodedLength(QueueDocuments.Serialize(fits)), QueueDocuments.MaxEncodedBytes - 1024, QueueDocuments.MaxEncodedBytes);
        Assert.False(budget.TryAdd(full.Envelope.Recipients[taken]));
    }

    [Fact]
    public void Budget_RefusesOnlyWhatWouldNotFit_ALaterShortRecipientStillFits()
    {
        var message = Inbound(0);
        var budget = InboundDocumentBudget.For(message.Envelope, message.Session);
        var longRecipient = new EnvelopeRecipient(new string('l', 64) + "@" + new string('d', 180) + ".example", DsnNotify.Failure, new OriginalRecipient("rfc822", new string('o', 400)));
        while (budget.TryAdd(longRecipient))
        {
        }

        Assert.True(budget.TryAdd(new EnvelopeRecipient("b@example.com")));
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 4)]
    [InlineData("abc", 4)]
    [InlineData("abcd", 8)]
    [InlineData("é", 4)]
    public void EncodedLength_CountsBase64OfUtf8(string json, int expected)
    {
        Assert.Equal(expected, QueueDocuments.EncodedLength(json));
        Assert.Equal(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).Length, expected);
    }

    private static InboundMessage Inbound(int recipients) => new(
        "0196f2a4c0e07a3b9c1d2e3f40516273",
        "2026/11/28/0196f2a4c0e07a3b9c1d2e3f40516273.eml",
        new Envelope(
            "alice@example.org",
            Enumerable.Range(0, recipients).Select(i => new EnvelopeRecipient($"recipient-number-{i:D4}@some-long-domain.example.com", DsnNotify.Success | DsnNotify.Failure, new OriginalRecipient("rfc822", $"recipient-number-{i:D4}@some-long-domain.example.com"))).ToList(),
            "8BITMIME",
            SmtpUtf8: false,
            DeclaredSize: 1234,
            Ret: DsnReturn.Headers,
            EnvId: "env-1"),
        new SessionInfo("192.0.2.10", "client.example.org", "ESMTPS", "mx", ReceivedAt, "mx1.example.net", "TLSv1.3 TLS_AES_256_GCM_SHA384", null),
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}
