using System.Net;
using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Tests.Authentication;

/// <summary>The record and macro syntax of RFC 7208 (sections 4.6.1, 5, 7.1) and macro expansion (7.3), without DNS.</summary>
public sealed class SpfSyntaxTests
{
    private static readonly SpfMacroValues Values = new(
        "strong-bad@email.example.com", "strong-bad", "email.example.com", "mx.example.org", IPAddress.Parse("192.0.2.3"), "email.example.com", null);

    [Theory]
    [InlineData("v=spf1")]
    [InlineData("v=spf1 -all")]
    [InlineData("V=SPF1 +A MX/24 ?ptr ~exists:%{i}.x.example.com -all")]
    [InlineData("v=spf1 a:mail.example.com/24//64 mx:example.com//48 ip6:2001:db8::/32 ip4:10.0.0.0/8")]
    [InlineData("v=spf1 include:_spf.%{d} redirect=%{d2} exp=explain.%{d}")]
    [InlineData("v=spf1 a:example.com. mx:%{d}")]
    [InlineData("v=spf1 a:xn--bcher-kva.example moo.cow-far_out=man:dog/cat")]
    [InlineData("v=spf1 unknown=%{c}%{r}%{t}%%%_%-")]
    [InlineData("v=spf1 ip4:0.0.0.0/0 a:example.com/0//0 ip6:::/0")]
    public void Parse_ValidRecord_Parses(string text) => Assert.NotNull(SpfRecord.Parse(text, out _));

    [Theory]
    [InlineData("v=spf1 foo")]
    [InlineData("v=spf1 -all:example.com")]
    [InlineData("v=spf1 a/024")]
    [InlineData("v=spf1 a:example.com/33")]
    [InlineData("v=spf1 mx//129")]
    [InlineData("v=spf1 ip4:1.2.3.4/33")]
    [InlineData("v=spf1 ip4:1.2.03.4")]
    [InlineData("v=spf1 ip4:1.2.3")]
    [InlineData("v=spf1 ip4:1.2.3.4//64")]
    [InlineData("v=spf1 ip6:2001:db8::/129")]
    [InlineData("v=spf1 ip6:192.0.2.1")]
    [InlineData("v=spf1 include")]
    [InlineData("v=spf1 include:")]
    [InlineData("v=spf1 exists")]
    [InlineData("v=spf1 ptr/24")]
    [InlineData("v=spf1 a:example")]
    [InlineData("v=spf1 a:example.123")]
    [InlineData("v=spf1 a:%{c}.example.com")]
    [InlineData("v=spf1 a:%{d0}.example.com")]
    [InlineData("v=spf1 a:%{dx}.example.com")]
    [InlineData("v=spf1 a:%{d.example.com")]
    [InlineData("v=spf1 a:%d.example.com")]
    [InlineData("v=spf1 redirect=a.example.com redirect=b.example.com")]
    [InlineData("v=spf1 exp=a.example.com exp=b.example.com")]
    [InlineData("v=spf1 redirect=")]
    [InlineData("v=spf1 foo=%{q}")]
    [InlineData("v=spf1 =a")]
    [InlineData("v=spf1 -all\ta")]
    [InlineData("v=spf1 ip4:192.0.2.5\n")]
    [InlineData("v=spf1 a:ctrl.example.com\rptr -all")]
    [InlineData("v=spf1 a:\uFEFFgarbage.example.net -all")]
    [InlineData("v=spf1 \u0080a:example.net -all")]
    [InlineData("v=spf1 a:example.net \u0096all")]
    [InlineData("v=spf1 a:example.com\n")]
    [InlineData("v=spf1 redirect=example.com\n")]
    public void Parse_InvalidRecord_IsNullWithAReason(string text)
    {
        Assert.Null(SpfRecord.Parse(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("v=spf1", true)]
    [InlineData("v=spf1 -all", true)]
    [InlineData("V=Spf1 a", true)]
    [InlineData("v=spf10 a", false)]
    [InlineData("v=spf1-all", false)]
    [InlineData("spf1 -all", false)]
    public void IsSpf_Text_IsVersionThenSpaceOrEnd(string text, bool expected) => Assert.Equal(expected, SpfRecord.IsSpf(text));

    // The examples of RFC 7208 7.4.
    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{p}.example.net", "unknown.example.net")]
    [InlineData("%{h}.%%.%-.%_.x.example", "mx.example.org.%.%20. .x.example")]
    [InlineData("%{S}.x.example", "strong-bad%40email.example.com.x.example")]
    [InlineData("%{d}.", "email.example.com")]
    public void ExpandDomain_Rfc7208Examples(string spec, string expected) => Assert.Equal(expected, SpfMacro.ExpandDomain(spec, Values));

    [Fact]
    public void ExpandDomain_Ipv6Client_DottedNibbles()
    {
        var values = Values with { Client = IPAddress.Parse("2001:db8::cb01") };

        Assert.Equal(
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com",
            SpfMacro.ExpandDomain("%{ir}.%{v}._spf.%{d2}", values));
    }

    [Fact]
    public void ExpandDomain_Over253Characters_DropsLabelsFromTheLeftUntilItFits()
    {
        var label = new string('x', 60);
        var values = Values with { LocalPart = $"{label}.{label}.{label}" };

        var name = SpfMacro.ExpandDomain("%{l}.%{l}.example.com", values);

        // 376 characters: three labels go, not one.
        Assert.Equal($"{label}.{label}.{label}.example.com", name);
    }
}
