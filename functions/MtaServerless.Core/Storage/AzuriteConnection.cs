using System.Globalization;

namespace MtaServerless.Core.Storage;

/// <summary>The connection string of a local Azurite on 127.0.0.1: the local runner starts one, the CLI talks to it by default.</summary>
public static class AzuriteConnection
{
    public const int DefaultBlobPort = 10000;
    public const int DefaultQueuePort = 10001;
    public const int DefaultTablePort = 10002;

    private const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development key; it is public and grants nothing outside the emulator.</summary>
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static string For(int blobPort = DefaultBlobPort, int queuePort = DefaultQueuePort, int tablePort = DefaultTablePort) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};");
}
