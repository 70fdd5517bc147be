namespace MtaServerless.Edge.Sessions;

/// <summary>Where an RFC 4954 exchange stands while it waits for the client's next line. It holds no credential text.</summary>
internal sealed record AuthExchange(AuthStep Step, string? UserName = null);

internal enum AuthStep
{
    /// <summary>PLAIN sent an empty challenge; the next line is authzid NUL authcid NUL password.</summary>
    PlainResponse,

    /// <summary>LOGIN asked for the user name.</summary>
    LoginUser,

    /// <summary>LOGIN asked for the password.</summary>
    LoginPassword,
}
