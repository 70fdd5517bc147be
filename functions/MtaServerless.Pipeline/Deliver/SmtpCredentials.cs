using System.Net;
using Microsoft.Extensions.Configuration;

namespace MtaServerless.Pipeline.Deliver;

/// <summary>
/// Resolves a route's credential reference from configuration: <c>Credentials:{ref}:UserName</c> and
/// <c>Credentials:{ref}:Password</c>. In Azure they are app settings (<c>Credentials__{ref}__Password</c>)
/// whose values are Key Vault references, so the routes table never holds a secret.
/// </summary>
public sealed class SmtpCredentials(IConfiguration configuration)
{
    public const string Section = "Credentials";

    /// <returns>Null when the reference names nothing in configuration.</returns>
    public NetworkCredential? Find(string credentialRef)
    {
        var section = configuration.GetSection(Section).GetSection(credentialRef);
        return section["UserName"] is { Length: > 0 } user && section["Password"] is { } password
            ? new NetworkCredential(user, password)
            : null;
    }
}
