using System.Text.Json.Nodes;
using MtaServerless.Core.Dkim;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Testing;

namespace MtaServerless.Cli.Tests;

/// <summary>
/// <c>mta dkim</c>: keys generated into the key store and never printed, the DNS records to publish, a list that checks
/// them against a DNS server on loopback, rotation that keeps the old selector signing until it is removed.
/// </summary>
public sealed class DkimCommandTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly string _keys = Path.Combine(Path.GetTempPath(), "mta-cli-dkim-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_keys))
        {
            Directory.Delete(_keys, recursive: true);
        }
    }

    [Fact]
    public async Task Add_StoresThePrivateKeyOwnerOnly_AndPrintsTheRecord_NeverTheKey()
    {
        var added = await DkimAsync("add", "Add.Example", "--json");

        Assert.Equal(0, added.ExitCode);
        var row = Assert.Single(JsonNode.Parse(added.Output)!.AsArray())!;
        Assert.Equal(("add.example", "rsa-sha256", "yes"), (Text(row, "domain"), Text(row, "algorithm"), Text(row, "signing")));
        Assert.Matches(@"^rsa\d{8}$", Text(row, "selector"));
        Assert.Matches($@"^{Text(row, "selector")}\._domainkey\.add\.example\. IN TXT ""v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+"" ""[A-Za-z0-9+/=]+""$", Text(row, "dnsRecord"));
        var file = Assert.Single(Directory.GetFiles(_keys, "*.pem"));
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var pem = await File.ReadAllTextAsync(file);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", pem, StringComparison.Ordinal);
        var stored = Assert.Single(await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, "add.example", CancellationToken.None));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), stored.KeyName);
        Assert.All(pem.Split('\n').Where(l => l.Length > 40), line => Assert.DoesNotContain(line, added.Output + stored.PublicKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddEd25519_BesideRsa_PrintsARawKeyRecord_AndIsRefusedAlone()
    {
        var alone = await DkimAsync("add", "ed.example", "--algorithm", "ed25519");
        await DkimAsync("add", "ed.example", "--selector", "main");
        var beside = await DkimAsync("add", "ed.example", "--algorithm", "ed25519", "--selector", "extra", "--json");

        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("Add an RSA key first", alone.Error, StringComparison.Ordinal);
        var record = Text(Assert.Single(JsonNode.Parse(beside.Output)!.AsArray())!, "dnsRecord");
        // RFC 8463 4.2: p= is the 32-octet key itself, 44 characters of base64.
        Assert.Matches(@"^extra\._domainkey\.ed\.example\. IN TXT ""v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=""$", record);
    }

    [Fact]
    public async Task List_ChecksEachRecordOnTheNameServers_AndTellsWhichSelectorSigns()
    {
        using var dns = new LoopbackDnsServer();
        await DkimAsync("add", "list.example", "--selector", "published");
        await DkimAsync("rotate", "list.example", "--selector", "missing");
        await DkimAsync("add", "other.example", "--selector", "different");
        var keys = (await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, null, CancellationToken.None)).Where(k => k.Domain is "list.example" or "other.example").ToDictionary(k => k.Selector);
        Publish(dns, keys["published"]);
        // A stale record: the key of another selector.
        dns.Txt(DkimPublicRecord.For(keys["different"]).Name, DkimPublicRecord.For(keys["published"]).Strings());

        var listed = await DkimAsync("list", "--name-servers", dns.Endpoint.ToString(), "--json");
        var table = await DkimAsync("list", "list.example", "--name-servers", dns.Endpoint.ToString());

        Assert.Equal(0, listed.ExitCode);
        var rows = JsonNode.Parse(listed.Output)!.AsArray().Where(r => Text(r!, "domain") is "list.example" or "other.example").ToDictionary(r => Text(r!, "selector"), r => (Text(r!, "domain"), Text(r!, "signing"), Text(r!, "dns")));
        Assert.Equal(("list.example", "yes", "published"), rows["published"]);
        Assert.Equal(("list.example", "next", "missing"), rows["missing"]);
        Assert.Equal(("other.example", "yes", "different"), rows["different"]);
        Assert.Equal(["Domain", "Selector", "Algorithm", "Signing", "Created", "DNS"], table.Lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(3, table.Lines.Length);
    }

    [Fact]
    public async Task Rotate_PrintsBothRecords_TheOldSigningUntilRemoved_ThenTheNew()
    {
        await DkimAsync("add", "rotate.example", "--selector", "old");

        var rotated = await DkimAsync("rotate", "rotate.example", "--selector", "new", "--json");
        var removed = await DkimAsync("remove", "rotate.example", "--selector", "old");
        var listed = await DkimAsync("list", "rotate.example", "--name-servers", "127.0.0.1:9", "--json");

        Assert.Equal(0, rotated.ExitCode);
        var records = JsonNode.Parse(rotated.Output)!.AsArray().Select(r => (Text(r!, "selector"), Text(r!, "signing"), Text(r!, "dnsRecord").Split(' ')[0])).ToList();
        Assert.Equal([("old", "yes", "old._domainkey.rotate.example."), ("new", "next", "new._domainkey.rotate.example.")], records);
        Assert.Equal(0, removed.ExitCode);
        Assert.Contains("Removed rsa-sha256 key old of rotate.example.", removed.Output, StringComparison.Ordinal);
        Assert.Contains("Keep the removed selectors' TXT records published", removed.Output, StringComparison.Ordinal);
        var left = Assert.Single(JsonNode.Parse(listed.Output)!.AsArray())!;
        Assert.Equal(("new", "yes"), (Text(left, "selector"), Text(left, "signing")));
        Assert.StartsWith("unreachable", Text(left, "dns"), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_keys, "*.pem"));
    }

    [Fact]
    public async Task Remove_TheDomain_DeletesEveryKeyAndItsFile()
    {
        await DkimAsync("add", "gone.example");
        await DkimAsync("add", "gone.example", "--algorithm", "ed25519");

        var lastRsa = await DkimAsync("remove", "gone.example", "--selector", (await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, "gone.example", CancellationToken.None))[0].Selector);
        var removed = await DkimAsync("remove", "gone.example");
        var again = await DkimAsync("remove", "gone.example");

        Assert.Equal(2, lastRsa.ExitCode);
        Assert.Equal(0, removed.ExitCode);
        Assert.Empty(await DkimKeyManager.ListAsync(azurite.Storage.DkimKeys, "gone.example", CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_keys, "*.pem"));
        Assert.Equal(1, again.ExitCode);
    }

    [Theory]
    [InlineData(2, "rotate it instead", "add", "twice.example")]
    [InlineData(1, "has no rsa-sha256 key", "rotate", "never.example")]
    [InlineData(2, "not a valid domain", "add", "bad..example")]
    [InlineData(2, "is not a selector", "add", "selector.example", "--selector", "under_score")]
    [InlineData(2, "Unknown DKIM algorithm", "add", "alg.example", "--algorithm", "dsa")]
    [InlineData(2, "not an address", "list", "--name-servers", "dns.example")]
    public async Task BadInput_ExitsWithItsCodeAndSaysWhy(int exitCode, string expected, params string[] args)
    {
        await DkimAsync("add", "twice.example");

        var run = await DkimAsync(args);

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAccountInAzure_WithoutAKeyVault_IsRefused_BeforeAnythingIsGenerated()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await CliApp.RunAsync(["dkim", "add", "azure.example", "--account", "mtastorage"], TextReader.Null, output, error, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Contains("--key-vault <PIPELINE_KEY_VAULT_NAME>", error.ToString(), StringComparison.Ordinal);
    }

    private Task<CliRun> DkimAsync(params string[] args) => CliRun.RunAsync(azurite, ["dkim", .. args, "--key-directory", _keys]);

    private static void Publish(LoopbackDnsServer dns, DkimKeyEntity key)
    {
        var record = DkimPublicRecord.For(key);
        dns.Txt(record.Name, record.Strings());
    }

    private static string Text(JsonNode node, string name) => node[name]!.GetValue<string>();
}
