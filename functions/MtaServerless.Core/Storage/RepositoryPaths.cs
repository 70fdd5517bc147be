namespace MtaServerless.Core.Storage;

public static class RepositoryPaths
{
    /// <summary>The repository's <c>infra/</c> folder (it pins Azurite; the local data, <c>.local/</c>, is beside it), found upwards from the working directory or the program.</summary>
    public static string FindInfraDirectory()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "infra");
                if (File.Exists(Path.Combine(candidate, "package-lock.json")))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("Could not find the repository's infra/ folder (with package-lock.json); set LocalStack:InfraDirectory.");
    }
}
