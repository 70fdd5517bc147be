namespace MtaServerless.Bicep.Tests;

/// <summary>Folders of the repository these tests were built from, found from the test assembly upwards.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Bicep => Path.Combine(Root, "bicep");

    public static string Monitoring => Path.Combine(Bicep, "monitoring");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MtaServerless.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No MtaServerless.sln above {AppContext.BaseDirectory}.");
    }
}
