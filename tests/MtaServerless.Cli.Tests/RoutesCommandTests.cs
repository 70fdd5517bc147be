using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

public sealed class RoutesCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Add_ThenList_ShowsTheRouteAsATable()
    {
        var added = await CliRun.RunAsync(azurite, "routes", "add", "Example.COM", "--action", "smarthost", "--host", "relay.example.net", "--port", "587", "--tls", "required", "--credential-ref", "relay");
        var listed = await CliRun.RunAsync(azurite, "routes", "list");

        Assert.Equal(0, added.ExitCode);
        Assert.Equal(0, listed.ExitCode);
        Assert.StartsWith("Pattern", listed.Lines[0], StringComparison.Ordinal);
        Assert.Contains(listed.Lines, line => Regex.IsMatch(line, @"^example\.com\s+smarthost\s+relay\.example\.net\s+587\s+required\s+no\s+relay\s+yes\s+headers-only$"));
    }

    [Theory]
    [InlineData(true, "--credential-ref", "relay")]
    [InlineData(false, "--credential-ref", "relay", "--verify-certificate", "false")]
    [InlineData(false)]
    [InlineData(true, "--verify-certificate", "true")]
    public async Task Add_VerifyCertificate_IsOnByDefaultOnlyForARouteWithACredential(bool expected, params string[] extra)
    {
        await CliRun.RunAsync(azurite, ["routes", "add", "verify.example", "--action", "smarthost", "--host", "relay.example.net", "--tls", "required", .. extra]);

        var listed = await CliRun.RunAsync(azurite, "routes", "list", "--json");

        var route = JsonNode.Parse(listed.Output)!.AsArray().Single(r => r!["pattern"]!.GetValue<string>() == "verify.example")!;
        Assert.Equal(expected, route["verifyCertificate"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("enforce", "--dmarc-policy", "enforce")]
    [InlineData("headers-only", "--dmarc-policy", "Headers-Only")]
    [InlineData("headers-only")]
    public async Task Add_DmarcPolicy_IsStored_HeadersOnlyByDefault(string expected, params string[] extra)
    {
        await CliRun.RunAsync(azurite, ["routes", "add", "dmarc.example", "--action", "mailbox", "--accepts-inbound", .. extra]);

        var listed = await CliRun.RunAsync(azurite, "routes", "list", "--json");

        var route = JsonNode.Parse(listed.Output)!.AsArray().Single(r => r!["pattern"]!.GetValue<string>() == "dmarc.example")!;
        Assert.Equal(expected, route["dmarcPolicy"]!.GetValue<string>());
    }

    [Fact]
    public async Task Set_DmarcPolicy_ChangesOnlyThatProperty()
    {
        await CliRun.RunAsync(azurite, "routes", "add", "set.example", "--action", "smarthost", "--host", "relay.example.net", "--port", "587", "--tls", "required", "--accepts-inbound");

        var set = await CliRun.RunAsync(azurite, "routes", "set", "SET.example", "--dmarc-policy", "enforce");
        var listed = await CliRun.RunAsync(azurite, "routes", "list", "--json");

        Assert.Equal(0, set.ExitCode);
        var route = JsonNode.Parse(listed.Output)!.AsArray().Single(r => r!["pattern"]!.GetValue<string>() == "set.example")!;
        Assert.Equal(
            ("enforce", "smarthost", "relay.example.net", 587, "required", true),
            (route["dmarcPolicy"]!.GetValue<string>(), route["action"]!.GetValue<string>(), route["host"]!.GetValue<string>(), route["port"]!.GetValue<int>(), route["tls"]!.GetValue<string>(), route["acceptsInbound"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Set_NoSuchRoute_ExitsWithOne()
    {
        var run = await CliRun.RunAsync(azurite, "routes", "set", "nowhere.example", "--dmarc-policy", "enforce");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no route for 'nowhere.example'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Json_GivesOneObjectPerRoute()
    {
        await CliRun.RunAsync(azurite, "routes", "add", "*.json.example", "--action", "mx", "--accepts-inbound");

        var listed = await CliRun.RunAsync(azurite, "routes", "list", "--json");

        var route = JsonNode.Parse(listed.Output)!.AsArray().Single(r => r!["pattern"]!.GetValue<string>() == "*.json.example")!;
        Assert.Equal("mx", route["action"]!.GetValue<string>());
        Assert.True(route["acceptsInbound"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("unknown action 'teleport'", "routes", "add", "a.example", "--action", "teleport")]
    [InlineData("unknown TLS mode 'sometimes'", "routes", "add", "a.example", "--action", "smarthost", "--host", "h", "--tls", "sometimes")]
    [InlineData("without a host", "routes", "add", "a.example", "--action", "smarthost")]
    [InlineData("not a valid domain", "routes", "add", "bad..example", "--action", "mx")]
    [InlineData("--action", "routes", "add", "a.example")]
    [InlineData("--port", "routes", "add", "a.example", "--action", "smarthost", "--host", "h", "--port", "many")]
    [InlineData("not a mail address", "routes", "test", "no-at-sign")]
    [InlineData("--tls required or implicit", "routes", "add", "a.example", "--action", "smarthost", "--host", "h", "--credential-ref", "relay")]
    [InlineData("--tls required or implicit", "routes", "add", "a.example", "--action", "smarthost", "--host", "h", "--tls", "none", "--credential-ref", "relay")]
    [InlineData("unknown DMARC policy 'reject' (expected headers-only or enforce)", "routes", "add", "a.example", "--action", "mx", "--dmarc-policy", "reject")]
    [InlineData("unknown DMARC policy 'strict'", "routes", "set", "*", "--dmarc-policy", "strict")]
    [InlineData("--dmarc-policy", "routes", "set", "a.example")]
    [InlineData("frobnicate", "routes", "frobnicate")]
    public async Task BadInput_ExitsWithTwoAndSaysWhy(string expected, params string[] args)
    {
        var run = await CliRun.RunAsync(azurite, args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Remove_ExistingRoute_IsGone_AndAgainExitsWithOne()
    {
        await CliRun.RunAsync(azurite, "routes", "add", "gone.example", "--action", "reject", "--reject-text", "No thanks");

        var removed = await CliRun.RunAsync(azurite, "routes", "remove", "GONE.example");
        var again = await CliRun.RunAsync(azurite, "routes", "remove", "gone.example");
        var listed = await CliRun.RunAsync(azurite, "routes", "list");

        Assert.Equal((0, "Removed route 'gone.example'."), (removed.ExitCode, removed.Output.Trim()));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("no route for 'gone.example'", again.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(listed.Lines, line => line.StartsWith("gone.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Test_Address_ShowsTheMostSpecificRouteAndItsNextHop()
    {
        await CliRun.RunAsync(azurite, "routes", "add", "*.corp.example", "--action", "smarthost", "--host", "relay.corp.example", "--port", "2525", "--tls", "none");
        await CliRun.RunAsync(azurite, "routes", "add", "*.eu.corp.example", "--action", "mailbox");

        var wildcard = await CliRun.RunAsync(azurite, "routes", "test", "bob@mail.corp.example", "--json");
        var deeper = await CliRun.RunAsync(azurite, "routes", "test", "eve@x.eu.corp.example");

        var hit = JsonNode.Parse(wildcard.Output)!.AsArray().Single()!;
        Assert.Equal("*.corp.example", hit["pattern"]!.GetValue<string>());
        Assert.Equal("relay.corp.example:2525 (tls none)", hit["nextHop"]!.GetValue<string>());
        Assert.Contains("*.eu.corp.example", deeper.Output, StringComparison.Ordinal);
        Assert.Contains("local mailboxes of x.eu.corp.example", deeper.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_MxRoute_ResolvesTheMxHostsInPreferenceOrder()
    {
        using var dns = new LoopbackDnsServer()
            .Mx("mx.example", 20, "backup.mx.example")
            .Mx("mx.example", 10, "primary.mx.example")
            .Address("primary.mx.example", "127.0.0.11")
            .Address("backup.mx.example", "127.0.0.12")
            .NullMx("nomail.example");
        await CliRun.RunAsync(azurite, "routes", "add", "*", "--action", "mx");

        var resolved = await CliRun.RunAsync(azurite, "routes", "test", "bob@mx.example", "--name-servers", dns.Endpoint.ToString(), "--json");
        var refused = await CliRun.RunAsync(azurite, "routes", "test", "bob@nomail.example", "--name-servers", dns.Endpoint.ToString(), "--json");
        await CliRun.RunAsync(azurite, "routes", "remove", "*");

        Assert.Equal(0, resolved.ExitCode);
        Assert.Equal(
            "primary.mx.example[127.0.0.11]:25, backup.mx.example[127.0.0.12]:25",
            JsonNode.Parse(resolved.Output)!.AsArray().Single()!["nextHop"]!.GetValue<string>());
        Assert.StartsWith("none: 556 5.1.10", JsonNode.Parse(refused.Output)!.AsArray().Single()!["nextHop"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_NoMatchingRoute_ExitsWithOne()
    {
        var run = await CliRun.RunAsync(azurite, "routes", "test", "bob@nowhere.invalid-tld-for-tests");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("No route matches", run.Error, StringComparison.Ordinal);
    }
}
