using MtaServerless.Core.Storage;
using MtaServerless.LocalRunner;
using Xunit;

namespace MtaServerless.Testing;

/// <summary>
/// A private Azurite for one test class: free loopback ports, its own data folder, the contract's
/// containers, queues and tables created. Tests may stop and restart it to inject a storage outage.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private const int MaxStartAttempts = 3;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "mta-azurite-" + Guid.NewGuid().ToString("N"));
    private AzuriteProcess? _azurite;

    public string ConnectionString => Azurite.ConnectionString;

    public MtaStorageClients Storage { get; private set; } = null!;

    public int BlobPort => Azurite.Settings.BlobPort;

    public int QueuePort => Azurite.Settings.QueuePort;

    public int TablePort => Azurite.Settings.TablePort;

    private AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started.");

    public async Task InitializeAsync()
    {
        for (var attempt = 1; _azurite is null; attempt++)
        {
            var (blob, queue, table) = AzuriteProcess.FreePorts();
            try
            {
                _azurite = await AzuriteProcess.StartAsync(
                    new AzuriteSettings(RepositoryPaths.FindInfraDirectory(), _dataDirectory, blob, queue, table),
                    CancellationToken.None);
            }
            catch (InvalidOperationException) when (attempt < MaxStartAttempts)
            {
                // Test assemblies run in parallel: another one's socket can take a port between FreePorts and Azurite's bind.
            }
        }

        Storage = MtaStorageClients.FromConnectionString(_azurite.ConnectionString);
        await Storage.EnsureCreatedAsync(CancellationToken.None);
    }

    public Task StopAsync() => Azurite.StopAsync();

    public Task RestartAsync() => Azurite.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
