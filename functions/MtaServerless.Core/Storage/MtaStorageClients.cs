using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace MtaServerless.Core.Storage;

/// <summary>
/// The clients behind the <c>MtaStorage</c> connection, configured the way the Functions host reads
/// a connection: either a connection string (Azurite, or a key-based account) under the name itself,
/// or an identity-based section with <c>blobServiceUri</c>, <c>queueServiceUri</c>, <c>tableServiceUri</c>
/// (or <c>accountName</c>) and optionally <c>clientId</c> for a user-assigned identity. Either way,
/// <c>{name}:retry:maxRetries</c> and <c>{name}:retry:delay</c> tune the clients' retries.
/// </summary>
public sealed class MtaStorageClients
{
    /// <summary>Azure Table Storage takes at most 100 operations in one entity group transaction.</summary>
    public const int MaxTableBatch = 100;

    public MtaStorageClients(BlobServiceClient blobs, QueueServiceClient queues, TableServiceClient tables)
    {
        Blobs = blobs;
        Queues = queues;
        Tables = tables;
    }

    public BlobServiceClient Blobs { get; }

    public QueueServiceClient Queues { get; }

    public TableServiceClient Tables { get; }

    public BlobContainerClient Spool => Blobs.GetBlobContainerClient(StorageNames.SpoolContainer);

    public QueueClient Inbound => Queues.GetQueueClient(StorageNames.InboundQueue);

    public QueueClient Delivery => Queues.GetQueueClient(StorageNames.DeliveryQueue);

    public TableClient Routes => Tables.GetTableClient(StorageNames.RoutesTable);

    public TableClient Users => Tables.GetTableClient(StorageNames.UsersTable);

    public TableClient Deliveries => Tables.GetTableClient(StorageNames.DeliveriesTable);

    public TableClient DkimKeys => Tables.GetTableClient(StorageNames.DkimKeysTable);

    /// <param name="counter">Counts every request of these clients, when a benchmark asks.</param>
    /// <param name="retry">The retry settings; the Azure SDK's defaults when null.</param>
    public static MtaStorageClients FromConnectionString(string connectionString, StorageTransactionCounter? counter = null, StorageRetry? retry = null) => new(
        new BlobServiceClient(connectionString, With(new BlobClientOptions(), counter, "blob", retry)),
        new QueueServiceClient(connectionString, With(QueueOptions(), counter, "queue", retry)),
        new TableServiceClient(connectionString, With(new TableClientOptions(), counter, "table", retry)));

    /// <param name="counter">Counts every request of these clients, when a benchmark asks.</param>
    public static MtaStorageClients FromConfiguration(IConfiguration configuration, string name = StorageNames.Connection, StorageTransactionCounter? counter = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[name] ?? configuration.GetConnectionString(name);
        var retry = StorageRetry.FromConfiguration(configuration.GetSection($"{name}:retry"));
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return FromConnectionString(connectionString, counter, retry);
        }

        var section = configuration.GetSection(name);
        var accountName = section["accountName"];
        var blobUri = ServiceUri(section, "blobServiceUri", accountName, "blob", name);
        var queueUri = ServiceUri(section, "queueServiceUri", accountName, "queue", name);
        var tableUri = ServiceUri(section, "tableServiceUri", accountName, "table", name);
        TokenCredential credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = section["clientId"],
        });
        return new MtaStorageClients(
            new BlobServiceClient(blobUri, credential, With(new BlobClientOptions(), counter, "blob", retry)),
            new QueueServiceClient(queueUri, credential, With(QueueOptions(), counter, "queue", retry)),
            new TableServiceClient(tableUri, credential, With(new TableClientOptions(), counter, "table", retry)));
    }

    /// <summary>Creates every container, queue and table of the contract; safe to call again.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        foreach (var container in StorageNames.Containers)
        {
            await Blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var queue in StorageNames.Queues)
        {
            await Queues.GetQueueClient(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var table in StorageNames.Tables)
        {
            await Tables.GetTableClient(table).CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The Functions queue trigger decodes base64, so every sender encodes it.</summary>
    private static QueueClientOptions QueueOptions() => new() { MessageEncoding = QueueMessageEncoding.Base64 };

    private static T With<T>(T options, StorageTransactionCounter? counter, string service, StorageRetry? retry)
        where T : ClientOptions
    {
        if (retry is not null)
        {
            options.Retry.MaxRetries = retry.MaxRetries;
            options.Retry.Delay = retry.Delay;
        }

        if (counter is not null)
        {
            // Per retry: every try is a billed transaction.
            options.AddPolicy(counter.For(service), HttpPipelinePosition.PerRetry);
        }

        return options;
    }

    private static Uri ServiceUri(IConfigurationSection section, string key, string? accountName, string service, string name)
    {
        if (section[key] is { Length: > 0 } uri)
        {
            return new Uri(uri);
        }

        if (accountName is { Length: > 0 })
        {
            return new Uri($"https://{accountName}.{service}.core.windows.net");
        }

        throw new InvalidOperationException(
            $"Storage connection '{name}' is not configured: set '{name}' to a connection string, or '{name}:{key}' (or '{name}:accountName') for an identity-based connection.");
    }
}
