using MtaServerless.Core.Routing;

namespace MtaServerless.Tests.Core;

public sealed class RouteTableTests
{
    private static readonly RouteTable Table = new(
    [
        Smarthost("*", "default.relay"),
        Smarthost("example.com", "exact.relay"),
        Smarthost("*.example.com", "wildcard.relay"),
        Smarthost("*.deep.example.com", "deep.relay"),
        Smarthost("*.xn--bcher-kva.example", "idn.relay"),
    ]);

    [Theory]
    [InlineData("example.com", "exact.relay")]
    [InlineData("EXAMPLE.COM", "exact.relay")]
    [InlineData("example.com.", "exact.relay")]
    [InlineData("mail.example.com", "wildcard.relay")]
    [InlineData("a.b.example.com", "wildcard.relay")]
    [InlineData("deep.example.com", "wildcard.relay")]
    [InlineData("x.deep.example.com", "deep.relay")]
    [InlineData("y.x.DEEP.example.com", "deep.relay")]
    [InlineData("other.org", "default.relay")]
    [InlineData("notexample.com", "default.relay")]
    [InlineData("shop.bücher.example", "idn.relay")]
    [InlineData("shop.xn--bcher-kva.example", "idn.relay")]
    public void Resolve_Domain_TakesExactThenLongestWildcardThenDefault(string domain, string expectedHost)
    {
        Assert.Equal(expectedHost, Table.Resolve(domain)?.Host);
    }

    [Fact]
    public void Resolve_WildcardOnly_DoesNotMatchTheParentDomain()
    {
        var table = new RouteTable([Smarthost("*.example.com", "wildcard.relay")]);

        Assert.Null(table.Resolve("example.com"));
        Assert.Equal("wildcard.relay", table.Resolve("a.example.com")?.Host);
    }

    [Fact]
    public void Resolve_NoDefault_ReturnsNullForUnknownDomains()
    {
        var table = new RouteTable([Smarthost("example.com", "exact.relay")]);

        Assert.Null(table.Resolve("example.org"));
    }

    [Fact]
    public void Constructor_PatternsInUnicodeAndMixedCase_AreStoredAsLowerCaseALabels()
    {
        var table = new RouteTable([Smarthost("*.Bücher.Example", "idn.relay"), Smarthost("MÜNCHEN.example", "city.relay")]);

        Assert.Equal("idn.relay", table.Resolve("a.xn--bcher-kva.example")?.Host);
        Assert.Equal("city.relay", table.Resolve("xn--mnchen-3ya.example")?.Host);
        Assert.Equal("*.xn--bcher-kva.example", RouteTable.NormalizePattern("*.Bücher.Example"));
    }

    [Fact]
    public void Resolve_InvalidDomain_Throws()
    {
        Assert.Throws<FormatException>(() => Table.Resolve("bad..domain"));
    }

    private static Route Smarthost(string pattern, string host) => new(pattern, RouteAction.Smarthost, host, 25);
}
