using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// The keys as secrets of the pipeline's Key Vault. The functions read each one once per instance and keep it
/// (<see cref="DkimKeyring"/>): a secret operation per instance start, not per message, and no vault round trip on a
/// message's path. Only the functions' identity may read the vault, and the operator write it (Bicep).
/// </summary>
public sealed class KeyVaultDkimKeyStore(SecretClient secrets) : IDkimKeyStore
{
    private const string PemContentType = "application/x-pem-file";

    /// <summary>Signs in with <see cref="DefaultAzureCredential"/>: the functions' managed identity (<c>AZURE_CLIENT_ID</c>), or the operator's <c>az login</c>.</summary>
    public static KeyVaultDkimKeyStore Create(Uri vault) => new(new SecretClient(vault, new DefaultAzureCredential()));

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await secrets.GetSecretAsync(name, cancellationToken: cancellationToken).ConfigureAwait(false)).Value.Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task SetAsync(string name, string pem, string domain, string selector, CancellationToken cancellationToken)
    {
        var secret = new KeyVaultSecret(name, pem);
        secret.Properties.ContentType = PemContentType;
        secret.Properties.Tags["domain"] = domain;
        secret.Properties.Tags["selector"] = selector;
        await secrets.SetSecretAsync(secret, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Soft delete: the vault keeps it for its retention period (purge protection), under a name no new key reuses.</summary>
    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await secrets.StartDeleteSecretAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already gone: what remove wanted.
        }
    }
}
