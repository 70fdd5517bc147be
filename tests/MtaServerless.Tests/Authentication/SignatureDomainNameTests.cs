using MtaServerless.Pipeline.Authentication.Signatures;

namespace MtaServerless.Tests.Authentication;

/// <summary>The names a signature's d= and s= become for DNS and for RFC 8601's header.d: A-labels in lowercase (RFC 8616).</summary>
public sealed class SignatureDomainNameTests
{
    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("müller.example", "xn--mller-kva.example")]
    [InlineData("XN--MLLER-KVA.example", "xn--mller-kva.example")]
    [InlineData("_sel.sub", "_sel.sub")]
    [InlineData("a..example", null)]
    [InlineData("", null)]
    public void SignatureDomains_AreLowercaseALabels_OrNothingDnsCanAskFor(string name, string? expected) =>
        Assert.Equal(expected, DkimNames.ToALabel(name));
}
