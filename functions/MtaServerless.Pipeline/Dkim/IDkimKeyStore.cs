namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// Where DKIM private keys live, as PKCS#8 PEM text under the name their <c>dkimkeys</c> row gives: never in a table,
/// an app setting or a log. The functions read them; only <c>mta dkim</c> writes them.
/// </summary>
public interface IDkimKeyStore
{
    /// <returns>The PEM text; null when the store has no key of that name.</returns>
    Task<string?> GetAsync(string name, CancellationToken cancellationToken);

    /// <param name="domain">The sender domain, kept beside the key for whoever looks into the store.</param>
    /// <param name="selector">The selector, likewise.</param>
    Task SetAsync(string name, string pem, string domain, string selector, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);
}

public static class DkimKeyStores
{
    /// <returns>The store the options name; null when they name none.</returns>
    /// <exception cref="InvalidOperationException">They name both.</exception>
    public static IDkimKeyStore? From(DkimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (options.KeyVaultUri, options.KeyDirectory) switch
        {
            ({ } vault, null or "") => KeyVaultDkimKeyStore.Create(vault),
            (null, { Length: > 0 } directory) => new DirectoryDkimKeyStore(directory),
            (null, null or "") => null,
            _ => throw new InvalidOperationException($"Set either {DkimOptions.Section}:{nameof(DkimOptions.KeyVaultUri)} or {DkimOptions.Section}:{nameof(DkimOptions.KeyDirectory)}, not both."),
        };
    }
}
