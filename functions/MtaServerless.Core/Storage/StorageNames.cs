namespace MtaServerless.Core.Storage;

/// <summary>
/// The storage contract's names. Function attributes, Bicep and the CLI read them from here,
/// so they are constants.
/// </summary>
public static class StorageNames
{
    /// <summary>The one connection name; in Azure it is a set of <c>MtaStorage__*</c> app settings.</summary>
    public const string Connection = "MtaStorage";

    public const string SpoolContainer = "spool";
    public const string MailboxesContainer = "mailboxes";

    /// <summary>Mail an <c>enforce</c> route held back because it failed DMARC; named like <see cref="MailboxesContainer"/>.</summary>
    public const string QuarantineContainer = "quarantine";

    public const string InboundQueue = "inbound";
    public const string DeliveryQueue = "delivery";
    public const string PoisonSuffix = "-poison";

    public const string RoutesTable = "routes";
    public const string UsersTable = "users";
    public const string DeliveriesTable = "deliveries";

    /// <summary>The DKIM keys of each sender domain: selectors, algorithms and public keys; the private keys live in a key store.</summary>
    public const string DkimKeysTable = "dkimkeys";

    public static IReadOnlyList<string> Containers { get; } = [SpoolContainer, MailboxesContainer, QuarantineContainer];

    public static IReadOnlyList<string> Queues { get; } =
        [InboundQueue, DeliveryQueue, InboundQueue + PoisonSuffix, DeliveryQueue + PoisonSuffix];

    public static IReadOnlyList<string> Tables { get; } = [RoutesTable, UsersTable, DeliveriesTable, DkimKeysTable];

    /// <summary>Spool blobs are grouped by day so a lifecycle rule and a sweeper can work a day at a time.</summary>
    public static string SpoolBlobName(string messageId, DateTimeOffset receivedAt) =>
        $"{receivedAt.UtcDateTime:yyyy}/{receivedAt.UtcDateTime:MM}/{receivedAt.UtcDateTime:dd}/{messageId}.eml";

    /// <summary>
    /// Ingest's copy of a received message without the <c>Authentication-Results</c> fields that came in our name (RFC
    /// 8601 5), next to the blob the edge wrote (which is never rewritten), in the same day's folder.
    /// </summary>
    public static string CleanedBlobName(string spoolBlob)
    {
        ArgumentNullException.ThrowIfNull(spoolBlob);
        return $"{(spoolBlob.EndsWith(".eml", StringComparison.Ordinal) ? spoolBlob[..^".eml".Length] : spoolBlob)}.cleaned.eml";
    }
}
