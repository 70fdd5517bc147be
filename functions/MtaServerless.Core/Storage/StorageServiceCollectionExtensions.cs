using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MtaServerless.Core.Spool;

namespace MtaServerless.Core.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>Registers the <c>MtaStorage</c> clients and the spool; the edge, the functions and the runner share it.</summary>
    public static IServiceCollection AddMtaStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(_ => MtaStorageClients.FromConfiguration(configuration));
        services.TryAddSingleton<IMessageSpool, BlobQueueSpool>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }
}
