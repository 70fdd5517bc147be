namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// Where the DKIM private keys are, bound from the <c>Dkim</c> section: a Key Vault in Azure (the pipeline's, app setting
/// <c>Dkim__KeyVaultUri</c>), a directory locally (the local runner's <c>.local/dkim</c>). Neither: nothing is signed.
/// </summary>
public sealed class DkimOptions
{
    public const string Section = "Dkim";

    public Uri? KeyVaultUri { get; set; }

    public string? KeyDirectory { get; set; }
}
