using System.Text;
using MimeKit.Cryptography;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Authentication.Spf;

namespace MtaServerless.Tests.Authentication;

public sealed class AuthenticationResultsHeaderTests
{
    private const string ServId = "mail.example.net";

    private static readonly AuthVerdict[] SpfVerdicts = [AuthVerdict.None, AuthVerdict.Neutral, AuthVerdict.Pass, AuthVerdict.Fail, AuthVerdict.SoftFail, AuthVerdict.TempError, AuthVerdict.PermError];
    private static readonly AuthVerdict[] DkimVerdicts = [AuthVerdict.Pass, AuthVerdict.Fail, AuthVerdict.Neutral, AuthVerdict.TempError, AuthVerdict.PermError];
    private static readonly AuthVerdict[] DmarcVerdicts = [AuthVerdict.None, AuthVerdict.Pass, AuthVerdict.Fail, AuthVerdict.TempError, AuthVerdict.PermError];
    private static readonly AuthVerdict[] ArcVerdicts = [AuthVerdict.None, AuthVerdict.Pass, AuthVerdict.Fail];

    [Fact]
    public void Build_AllPass_OneResultPerLine_InSpfDkimDmarcArcOrder()
    {
        var results = Results(
            new SpfResult(AuthVerdict.Pass, "example.org", FromHelo: false, "matched ip4:192.0.2.0/24"),
            [new DkimResult(AuthVerdict.Pass, "example.org", "sel1", "AbCdEfGh")],
            new DmarcResult(AuthVerdict.Pass, "example.org", DmarcRequest.None, "example.org"),
            new ArcResult(AuthVerdict.None, 0));

        var field = AuthenticationResultsHeader.Build(ServId, "alice@example.org", results);

        Assert.Equal(
            "Authentication-Results: mail.example.net;\r\n" +
            "\tspf=pass (matched ip4:192.0.2.0/24) smtp.mailfrom=alice@example.org;\r\n" +
            "\tdkim=pass header.d=example.org header.s=sel1 header.b=AbCdEfGh;\r\n" +
            "\tdmarc=pass header.from=example.org;\r\n" +
            "\tarc=none\r\n",
            field);
    }

    [Theory]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Reject, false, "example.org", null, "\tdmarc=fail (p=reject) header.from=example.org;\r\n")]
    [InlineData(AuthVerdict.Fail, DmarcRequest.Reject, true, "example.org", null, "\tdmarc=fail (p=reject t=y) header.from=example.org;\r\n")]
    [InlineData(AuthVerdict.Fail, DmarcRequest.None, false, "example.org", "no aligned pass", "\tdmarc=fail (p=none; no aligned pass) header.from=example.org;\r\n")]
    [InlineData(AuthVerdict.PermError, DmarcRequest.None, false, "", "no author domain in From", "\tdmarc=permerror (no author domain in From);\r\n")]
    public void Build_Unsigned_SaysDkimNone_AndTheDmarcPolicyAsked(AuthVerdict verdict, DmarcRequest policy, bool testing, string fromDomain, string? reason, string expected)
    {
        var results = Results(
            new SpfResult(AuthVerdict.Fail, "example.org", FromHelo: false),
            [],
            new DmarcResult(verdict, fromDomain, policy, fromDomain.Length > 0 ? fromDomain : null, reason, testing),
            new ArcResult(AuthVerdict.None, 0));

        var field = AuthenticationResultsHeader.Build(ServId, "alice@example.org", results);

        Assert.Contains("\tdkim=none;\r\n", field, StringComparison.Ordinal);
        Assert.Contains(expected, field, StringComparison.Ordinal);
        Assert.Equal(fromDomain.Length > 0, field.Contains("header.from", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_SeveralSignatures_OneResultEach_WithSignatureStartsQuotedWhenNotTokens()
    {
        var results = Results(
            new SpfResult(AuthVerdict.None, "example.org", FromHelo: false),
            [
                new DkimResult(AuthVerdict.Pass, "example.org", "rsa1", "ab/c+d=1"),
                new DkimResult(AuthVerdict.Fail, "example.org", "ed1", "Zx9Yw8Vu", "body hash did not verify"),
                new DkimResult(AuthVerdict.Pass, "list.example.com", "s", "QRSTuvwx"),
            ],
            new DmarcResult(AuthVerdict.Pass, "example.org", DmarcRequest.None, "example.org"),
            new ArcResult(AuthVerdict.Pass, 2));

        var parsed = Parse(AuthenticationResultsHeader.Build(ServId, "alice@example.org", results));

        var dkim = parsed.Results.Where(r => r.Method == "dkim").ToList();
        Assert.Equal(["pass", "fail", "pass"], dkim.Select(r => r.Result));
        Assert.Equal(["ab/c+d=1", "Zx9Yw8Vu", "QRSTuvwx"], dkim.Select(r => Property(r, "header", "b")));
        Assert.Equal(["example.org", "example.org", "list.example.com"], dkim.Select(r => Property(r, "header", "d")));
        Assert.Equal("body hash did not verify", dkim[1].ResultComment);
        Assert.Equal("i=2", parsed.Results.Single(r => r.Method == "arc").ResultComment);
    }

    public static TheoryData<AuthVerdict, AuthVerdict, AuthVerdict, AuthVerdict> Combinations()
    {
        var data = new TheoryData<AuthVerdict, AuthVerdict, AuthVerdict, AuthVerdict>();
        foreach (var spf in SpfVerdicts)
        {
            foreach (var dkim in DkimVerdicts)
            {
                foreach (var dmarc in DmarcVerdicts)
                {
                    foreach (var arc in ArcVerdicts)
                    {
                        data.Add(spf, dkim, dmarc, arc);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Build_EveryVerdictCombination_ParsesBackToTheSameResults_InLinesOf78(AuthVerdict spf, AuthVerdict dkim, AuthVerdict dmarc, AuthVerdict arc)
    {
        var results = Results(
            new SpfResult(spf, "example.org", FromHelo: false, "a reason long enough to need its own fold, (with parentheses) and a \\ backslash"),
            [new DkimResult(dkim, "example.org", "selector-2026", "Ab+/Cd==", "key from DNS")],
            new DmarcResult(dmarc, "example.org", dmarc == AuthVerdict.Fail ? DmarcRequest.Quarantine : DmarcRequest.None, "example.org"),
            new ArcResult(arc, arc == AuthVerdict.None ? 0 : 1));

        var field = AuthenticationResultsHeader.Build(ServId, "alice@example.org", results);
        var parsed = Parse(field);

        Assert.Equal(ServId, parsed.AuthenticationServiceIdentifier);
        Assert.Equal(
            [("spf", Name(spf)), ("dkim", Name(dkim)), ("dmarc", Name(dmarc)), ("arc", Name(arc))],
            parsed.Results.Select(r => (r.Method, r.Result)));
        Assert.Equal("alice@example.org", Property(parsed.Results[0], "smtp", "mailfrom"));
        Assert.Equal("Ab+/Cd==", Property(parsed.Results[1], "header", "b"));
        Assert.All(field.Split("\r\n")[..^1], line => Assert.InRange(line.Length, 1, 78));
        Assert.True(Ascii.IsValid(field));
        if (dmarc == AuthVerdict.Fail)
        {
            Assert.Equal("p=quarantine", parsed.Results[2].ResultComment);
        }
    }

    [Fact]
    public void Build_NullSender_NamesTheHeloIdentity()
    {
        var results = Results(
            new SpfResult(AuthVerdict.Pass, "mx.example.org", FromHelo: true),
            [],
            new DmarcResult(AuthVerdict.None, "example.org", DmarcRequest.None, null),
            new ArcResult(AuthVerdict.None, 0));

        var parsed = Parse(AuthenticationResultsHeader.Build(ServId, string.Empty, results));

        Assert.Equal("mx.example.org", Property(parsed.Results[0], "smtp", "helo"));
    }

    [Fact]
    public void Build_WhatASenderWrote_CannotBreakTheField()
    {
        var results = Results(
            new SpfResult(AuthVerdict.Fail, "example.org", FromHelo: false, "evil\r\nX-Injected: yes (é) ;"),
            [new DkimResult(AuthVerdict.PermError, "bücher.example", "a b;c", "AbCdEfGh")],
            new DmarcResult(AuthVerdict.None, "bücher.example", DmarcRequest.None, null),
            new ArcResult(AuthVerdict.None, 0));

        var field = AuthenticationResultsHeader.Build(ServId, "\"a b\"@example.org", results);
        var parsed = Parse(field);

        Assert.DoesNotContain("\r\nX-Injected", field, StringComparison.Ordinal);
        Assert.True(Ascii.IsValid(field));
        Assert.Equal("xn--bcher-kva.example", Property(parsed.Results[1], "header", "d"));
        Assert.Equal("a b;c", Property(parsed.Results[1], "header", "s"));
        Assert.Equal("xn--bcher-kva.example", Property(parsed.Results[2], "header", "from"));
        Assert.Equal("example.org", Property(parsed.Results[0], "smtp", "mailfrom"));
    }

    private static InboundAuthentication Results(SpfResult spf, IReadOnlyList<DkimResult> dkim, DmarcResult dmarc, ArcResult arc) =>
        new(spf, new SignatureResults(dkim, arc), dmarc);

    private static AuthenticationResults Parse(string field)
    {
        var value = field["Authentication-Results:".Length..];
        Assert.True(AuthenticationResults.TryParse(Encoding.ASCII.GetBytes(value), out var parsed), field);
        return parsed;
    }

    private static string? Property(AuthenticationMethodResult result, string type, string name) =>
        result.Properties.SingleOrDefault(p => p.PropertyType == type && p.Property == name)?.Value;

    private static string Name(AuthVerdict verdict) => verdict.ToString().ToLowerInvariant();
}
