namespace MtaServerless.Pipeline.Authentication;

/// <summary>Settings of the checks of received mail, bound from the <c>Authentication</c> configuration section.</summary>
public sealed class AuthenticationOptions
{
    public const string Section = "Authentication";

    /// <summary>
    /// SPF, DKIM, DMARC and ARC on mail from elsewhere, and the removal of <c>Authentication-Results:</c> fields that claim
    /// to be ours. Off: such mail is not read in Ingest, gets no field, and no route quarantines anything.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The domain whose RSA DKIM key (<c>mta dkim add</c>) seals checked mail we relay with one ARC set (RFC 8617), so that
    /// a receiver can trust our results after our relay broke a signature; empty: nothing is sealed.
    /// </summary>
    public string ArcSealDomain { get; set; } = string.Empty;
}
