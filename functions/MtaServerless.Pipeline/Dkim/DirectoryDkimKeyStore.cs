namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// The keys as <c>{name}.pem</c> files of one directory, readable by their owner only: the local runner's
/// <c>.local/dkim</c>, outside the repository's tracked files.
/// </summary>
public sealed class DirectoryDkimKeyStore(string directory) : IDkimKeyStore
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Directory { get; } = Path.GetFullPath(directory);

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllTextAsync(PathOf(name), cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task SetAsync(string name, string pem, string domain, string selector, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, OwnerOnly | UnixFileMode.UserExecute);
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var file = new FileStream(PathOf(name), options);
        await using (file.ConfigureAwait(false))
        {
            await file.WriteAsync(System.Text.Encoding.ASCII.GetBytes(pem), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A key already gone is what removal wanted.</summary>
    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return Task.CompletedTask;
    }

    /// <exception cref="ArgumentException">The name could leave the directory.</exception>
    private string PathOf(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            ? Path.Combine(Directory, name + ".pem")
            : throw new ArgumentException($"'{name}' is not a key name.", nameof(name));
}
