using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.DependencyInjection;

namespace MtaServerless.LocalRunner;

/// <summary>Only <see cref="LocalTriggers"/> is a job class, whichever assembly hosts the runner (the runner, or a test).</summary>
internal sealed class LocalTriggersTypeLocator : ITypeLocator
{
    public IReadOnlyList<Type> GetTypes() => [typeof(LocalTriggers)];
}

/// <summary>Job classes are built from the host's container, as the Functions worker builds its function classes.</summary>
internal sealed class ServiceProviderJobActivator(IServiceProvider services) : IJobActivator
{
    public T CreateInstance<T>() => ActivatorUtilities.GetServiceOrCreateInstance<T>(services);
}
