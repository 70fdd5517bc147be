using MtaServerless.Core.Routing;

namespace MtaServerless.Tests.Core;

public sealed class RouteEntityTests
{
    [Fact]
    public void FromRoute_ThenToRoute_RoundTrips()
    {
        var route = new Route("*.Example.com", RouteAction.Smarthost, "relay.example.net", 587, TlsMode.Required, AcceptsInbound: true, CredentialRef: "relay-cred", DmarcPolicy: DmarcPolicy.Enforce);

        var back = RouteEntity.FromRoute(route).ToRoute();

        Assert.Equal(route with { Pattern = "*.example.com" }, back);
    }

    [Theory]
    [InlineData("teleport", null, "unknown action 'teleport'")]
    [InlineData("smarthost", "sometimes", "unknown TLS mode 'sometimes'")]
    [InlineData("smarthost", null, "unknown DMARC policy 'reject' (expected headers-only or enforce)", "reject")]
    public void ToRoute_UnknownNames_ThrowWithTheRowAndValue(string action, string? tls, string expected, string? dmarc = null)
    {
        var row = new RouteEntity { RowKey = "example.com", Action = action, Host = "relay", Tls = tls, DmarcPolicy = dmarc };

        var error = Assert.Throws<FormatException>(row.ToRoute);

        Assert.Contains("example.com", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToRoute_SmarthostWithoutHost_Throws()
    {
        var row = new RouteEntity { RowKey = "*", Action = "smarthost" };

        Assert.Throws<FormatException>(row.ToRoute);
    }

    [Theory]
    [InlineData("implicit", 465)]
    [InlineData("none", 25)]
    public void ToRoute_NoPort_DefaultsByTlsMode(string tls, int port)
    {
        var row = new RouteEntity { RowKey = "*", Action = "smarthost", Host = "relay", Tls = tls };

        Assert.Equal(port, row.ToRoute().Port);
    }

    [Theory]
    [InlineData("relay-cred", null, true)]
    [InlineData(null, null, false)]
    [InlineData("relay-cred", false, false)]
    public void ToRoute_VerifyCertificateUnset_IsOnExactlyWhenTheRouteSendsACredential(string? credential, bool? verify, bool expected)
    {
        var row = new RouteEntity { RowKey = "*", Action = "smarthost", Host = "relay", Tls = "required", CredentialRef = credential, VerifyCertificate = verify };

        Assert.Equal(expected, row.ToRoute().VerifyCertificate);
    }

    [Theory]
    [InlineData(null, DmarcPolicy.HeadersOnly)]
    [InlineData("headers-only", DmarcPolicy.HeadersOnly)]
    [InlineData("Enforce", DmarcPolicy.Enforce)]
    public void ToRoute_DmarcPolicy_DefaultsToHeadersOnly_ForRowsWrittenBeforeIt(string? written, DmarcPolicy expected)
    {
        var row = new RouteEntity { RowKey = "example.com", Action = "mailbox", DmarcPolicy = written };

        Assert.Equal(expected, row.ToRoute().DmarcPolicy);
    }
}
