using System.Net.Security;
using System.Security.Authentication;

namespace MtaServerless.Edge.Tls;

/// <summary>The negotiated protocol and cipher as the <c>Received:</c> header shows them, e.g. <c>TLSv1.3 TLS_AES_256_GCM_SHA384</c>.</summary>
internal static class TlsDescription
{
    public static string Of(SslStream stream) => $"{ProtocolName(stream.SslProtocol)} {stream.NegotiatedCipherSuite}";

    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };
}
