using System.Text.Json;
using System.Text.Json.Serialization;

namespace MtaServerless.Core.Documents;

/// <summary>Serializes queue documents and enforces what a queue can carry.</summary>
public static class QueueDocuments
{
    /// <summary>Azure Storage queues take 64 KiB per message, counted after base64 encoding.</summary>
    public const int MaxEncodedBytes = 64 * 1024;

    public static string Serialize(InboundMessage document) =>
        Checked(JsonSerializer.Serialize(document, DocumentJsonContext.Default.InboundMessage), document.Id);

    public static string Serialize(DeliveryTask document) =>
        Checked(JsonSerializer.Serialize(document, DocumentJsonContext.Default.DeliveryTask), document.Id);

    /// <exception cref="JsonException">The text is not a version-1 inbound document.</exception>
    public static InboundMessage DeserializeInbound(string json) =>
        Versioned(Parse(json, DocumentJsonContext.Default.InboundMessage));

    /// <exception cref="JsonException">The text is not a version-1 delivery document.</exception>
    public static DeliveryTask DeserializeDelivery(string json) =>
        Versioned(Parse(json, DocumentJsonContext.Default.DeliveryTask));

    public static int EncodedLength(string json) => EncodedLength(System.Text.Encoding.UTF8.GetByteCount(json));

    /// <summary>The base64-encoded length of a document of <paramref name="utf8Bytes"/> octets.</summary>
    public static int EncodedLength(int utf8Bytes) => (utf8Bytes + 2) / 3 * 4;

    private static string Checked(string json, string id)
    {
        var encoded = EncodedLength(json);
        if (encoded > MaxEncodedBytes)
        {
            throw new QueueDocumentTooLargeException(id, encoded);
        }

        return json;
    }

    private static T? Parse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info);
        }
        catch (ArgumentException ex)
        {
            // Text that is not valid UTF-16 (a lone surrogate) cannot be JSON; one kind of refusal for every bad document.
            throw new JsonException("The queue message is not valid text.", ex);
        }
    }

    private static T Versioned<T>(T? document)
        where T : class, IVersionedDocument
    {
        if (document is null)
        {
            throw new JsonException($"The queue message is not a {typeof(T).Name} document.");
        }

        if (document.V != DocumentVersion.Current)
        {
            throw new JsonException($"{typeof(T).Name} document version {document.V} is not supported (expected {DocumentVersion.Current}).");
        }

        return document;
    }
}

public sealed class QueueDocumentTooLargeException(string id, int encodedBytes)
    : InvalidOperationException($"The queue document for message {id} is {encodedBytes} bytes base64-encoded, over the {QueueDocuments.MaxEncodedBytes}-byte queue limit.")
{
    public int EncodedBytes { get; } = encodedBytes;
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(InboundMessage))]
[JsonSerializable(typeof(DeliveryTask))]
internal sealed partial class DocumentJsonContext : JsonSerializerContext;
