using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>The azd hooks run under sh against recording stand-ins of az and azd: the commands they would run in Azure.</summary>
[Collection(BicepCollection.Name)]
public sealed partial class HookTests(BicepBuild build) : IDisposable
{
    private const string Registry = "mtacrabc123";
    private const string LoginServer = "mtacrabc123.azurecr.io";

    private static readonly Dictionary<string, string> AzdEnvironment = new()
    {
        ["AZURE_ENV_NAME"] = "prod",
        ["AZURE_LOCATION"] = "westeurope",
        ["AZURE_RESOURCE_GROUP"] = "rg-prod",
    };

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));

    public void Dispose() => _timeout.Dispose();

    [Fact]
    public async Task Preprovision_OnANewEnvironment_CreatesTheGroup_DeploysTheRegistryModule_BuildsTheImage_AndHandsItToMain()
    {
        var run = await PreprovisionAsync(AzdEnvironment, groupExists: false, imageExists: false);

        Assert.True(run.ExitCode == 0, run.Output);
        var tag = ImageTag(run);
        Assert.Equal(
            [
                "az group exists --name rg-prod",
                "az group create --name rg-prod --location westeurope --tags azd-env-name=prod --output none",
                "az deployment group create --resource-group rg-prod --name container-registry --template-file bicep/modules/container-registry.bicep"
                    + " --parameters namePrefix=mta location=westeurope"
                    + " --query join(' ', [properties.outputs.name.value, properties.outputs.loginServer.value]) --output tsv",
                $"az acr repository show --name {Registry} --image mtaserverless-edge:{tag} --output none",
                $"az acr build --registry {Registry} --image mtaserverless-edge:{tag} --file edge/Dockerfile .",
                $"azd env set EDGE_IMAGE {LoginServer}/mtaserverless-edge:{tag}",
            ],
            run.Lines("az").Concat(run.Lines("azd")));
    }

    /// <summary>The registry module's outputs are what the hook reads, and main.bicep deploys the same module.</summary>
    [Fact]
    public void Preprovision_ReadsOutputsTheRegistryModuleHas_WhichMainDeploysToo()
    {
        var outputs = build.Template("modules/container-registry.bicep")["outputs"]!.AsObject();

        Assert.True(outputs.ContainsKey("name") && outputs.ContainsKey("loginServer"));
        Assert.Equal("container-registry", ArmTemplate.Module(build.Main, "registry")["name"]!.GetValue<string>());
        Assert.Equal("[reference('registry').outputs.loginServer.value]", ArmTemplate.ModuleParameter(build.Main, "edges", "imageRegistryServer")!.GetValue<string>());
    }

    [Fact]
    public async Task Preprovision_WhenTheImageIsThere_NeitherBuildsNorChangesTheTag()
    {
        var first = await PreprovisionAsync(AzdEnvironment, groupExists: true, imageExists: false);
        var again = await PreprovisionAsync(AzdEnvironment, groupExists: true, imageExists: true);

        Assert.True(again.ExitCode == 0, again.Output);
        Assert.DoesNotContain(again.Lines("az"), c => c.StartsWith("az acr build", StringComparison.Ordinal) || c.StartsWith("az group create", StringComparison.Ordinal));
        Assert.Equal(ImageTag(first), ImageTag(again));
    }

    /// <summary>The fallback when the file capability is not honoured: an image that runs as root, under a tag of its own.</summary>
    [Fact]
    public async Task Preprovision_RunAsRoot_BuildsWithEdgeUserRoot_UnderAnotherTag()
    {
        var plain = await PreprovisionAsync(AzdEnvironment, groupExists: true, imageExists: false);
        var root = await PreprovisionAsync(new(AzdEnvironment) { ["EDGE_RUN_AS_ROOT"] = "true" }, groupExists: true, imageExists: false);

        Assert.True(root.ExitCode == 0, root.Output);
        var build = Assert.Single(root.Commands, c => c[0] == "az" && c[1] == "acr" && c[2] == "build");
        Assert.Equal(["--build-arg", "EDGE_USER=root"], build.SkipWhile(a => a != "--build-arg").Take(2));
        Assert.NotEqual(ImageTag(plain), ImageTag(root));
        Assert.Contains("ARG EDGE_USER", EdgeDockerfile.Load().Instructions);
        Assert.Equal("${EDGE_USER:-$APP_UID}", EdgeDockerfile.Load().User);
    }

    [Fact]
    public async Task Preprovision_RunAsRoot_OtherThanTrueOrFalse_StopsBeforeAnyCommand()
    {
        var run = await PreprovisionAsync(new(AzdEnvironment) { ["EDGE_RUN_AS_ROOT"] = "yes" }, groupExists: true, imageExists: false);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("EDGE_RUN_AS_ROOT must be true or false", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Commands);
    }

    [Fact]
    public async Task Preprovision_WithoutAResourceGroup_NamesOneForTheEnvironment()
    {
        var environment = new Dictionary<string, string>(AzdEnvironment);
        environment.Remove("AZURE_RESOURCE_GROUP");

        var run = await PreprovisionAsync(environment, groupExists: false, imageExists: true);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal("azd env set AZURE_RESOURCE_GROUP rg-prod", run.Lines("azd").First());
        Assert.Contains("az group create --name rg-prod --location westeurope --tags azd-env-name=prod --output none", run.Lines("az"));
    }

    [Fact]
    public async Task Preprovision_WithoutARegion_StopsBeforeAnyCommand_SayingHowToGiveOne()
    {
        var environment = new Dictionary<string, string>(AzdEnvironment);
        environment.Remove("AZURE_LOCATION");

        var run = await PreprovisionAsync(environment, groupExists: false, imageExists: false);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("azd env set AZURE_LOCATION", run.Output, StringComparison.Ordinal);
        Assert.Empty(run.Commands);
    }

    /// <summary>The tag must change whenever the image would: every path the Dockerfile copies is in the digest.</summary>
    [Fact]
    public void Preprovision_ImageTag_DigestsEveryPathTheDockerfileCopies()
    {
        var hook = File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "hooks", "preprovision.sh"));
        var digested = EdgeSources().Match(hook).Groups["paths"].Value.Split(' ');
        var copied = EdgeDockerfile.BuildStageCopySources();

        Assert.NotEmpty(copied);
        Assert.All(copied, source => Assert.Contains(digested, d => source.TrimEnd('/') == d || source.StartsWith(d + "/", StringComparison.Ordinal)));
        Assert.Contains("edge/Dockerfile", digested);
    }

    [Fact]
    public async Task Postprovision_RestartsTheFunctions_ThenPrintsTheRecordsToPublish_AndTheSecretCommands()
    {
        var run = await HookRun.RunAsync("postprovision.sh", Outputs(dnsCreated: false), [], _timeout.Token);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["az functionapp restart --resource-group rg-prod --name mta-func-abc"], run.Lines("az"));
        Assert.Contains("publish these records in the zone of example.com:\nmx1.example.com. 3600 IN CNAME e1.westeurope.azurecontainer.io.\nexample.com. 3600 IN MX 10 e1.westeurope.azurecontainer.io.\n", run.Output, StringComparison.Ordinal);
        Assert.Contains("az keyvault certificate import --vault-name mta-kve-abc --name edge-tls --file mx.pfx", run.Output, StringComparison.Ordinal);
        Assert.Contains("az keyvault secret set --vault-name mta-kvp-abc --name smarthost-username --value <user>", run.Output, StringComparison.Ordinal);
        Assert.Contains("az keyvault secret set --vault-name mta-kvp-abc --name smarthost-password --value <password>", run.Output, StringComparison.Ordinal);
        Assert.Contains("azd hooks run postprovision", run.Output, StringComparison.Ordinal);
    }

    /// <summary>The secret names the hook prints are those the functions' Key Vault references name.</summary>
    [Fact]
    public void Postprovision_SecretNames_AreTheTemplatesSmarthostVaultItems()
    {
        var hook = File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "hooks", "postprovision.sh"));
        var items = build.Main["parameters"]!["smarthostVaultItems"]!["defaultValue"]!.AsObject();

        Assert.Equal(
            items.Select(i => i.Value!.GetValue<string>()).Order(StringComparer.Ordinal),
            SecretSet().Matches(hook).Select(m => m.Groups["name"].Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Postprovision_WithAZone_SaysTheRecordsAreInIt()
    {
        var run = await HookRun.RunAsync("postprovision.sh", Outputs(dnsCreated: true), [], _timeout.Token);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("DNS: these records are in the zone example.com (resource group rg-dns):", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postdown_TellsHowToRecoverTheSoftDeletedVaults_AndToDeleteTheRecordsLeftInTheZone()
    {
        var run = await HookRun.RunAsync("postdown.sh", Outputs(dnsCreated: true), [], _timeout.Token);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Empty(run.Commands);
        Assert.Contains("az keyvault recover --name mta-kve-abc", run.Output, StringComparison.Ordinal);
        Assert.Contains("az keyvault recover --name mta-kvp-abc", run.Output, StringComparison.Ordinal);
        Assert.Contains("az network dns record-set mx delete --resource-group rg-dns --zone-name example.com --name @ --yes", run.Output, StringComparison.Ordinal);
        Assert.Contains("az network dns record-set cname delete --resource-group rg-dns --zone-name example.com --name mx1 --yes", run.Output, StringComparison.Ordinal);
        Assert.Contains("az network dns record-set cname delete --resource-group rg-dns --zone-name example.com --name mx2 --yes", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postdown_WithoutAZone_SaysNothingOfRecords()
    {
        var run = await HookRun.RunAsync("postdown.sh", Outputs(dnsCreated: false), [], _timeout.Token);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain("record-set", run.Output, StringComparison.Ordinal);
    }

    /// <summary>Every output a hook reads is one main.bicep writes (azd keeps outputs in the environment by name).</summary>
    [Fact]
    public void Hooks_ReadOnlyOutputsMainWrites_OrAzdsOwnVariables()
    {
        var outputs = build.Main["outputs"]!.AsObject().Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        string[] azd = ["AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_RESOURCE_GROUP"];
        string[] settings = ["MTA_NAME_PREFIX", "EDGE_RUN_AS_ROOT"];

        foreach (var hook in Directory.GetFiles(Path.Combine(RepositoryPaths.Bicep, "hooks"), "*.sh"))
        {
            var read = Variable().Matches(File.ReadAllText(hook)).Select(m => m.Groups["name"].Value).Distinct();
            Assert.All(read, name => Assert.True(outputs.Contains(name) || azd.Contains(name) || settings.Contains(name), $"{Path.GetFileName(hook)} reads {name}, which nothing sets."));
        }
    }

    private async Task<HookRun> PreprovisionAsync(Dictionary<string, string> environment, bool groupExists, bool imageExists) =>
        await HookRun.RunAsync(
            "preprovision.sh",
            environment,
            [
                ("az group exists", 0, groupExists ? "true" : "false"),
                ("az deployment group create", 0, $"{Registry} {LoginServer}"),
                ("az acr repository show", imageExists ? 0 : 3, ""),
            ],
            _timeout.Token);

    private static string ImageTag(HookRun run)
    {
        var image = Assert.Single(run.Commands, c => c[0] == "azd" && c[2] == "set" && c[3] == "EDGE_IMAGE")[4];
        Assert.Matches($"^{Regex.Escape(LoginServer)}/mtaserverless-edge:[0-9a-f]{{16}}$", image);
        return image[(image.LastIndexOf(':') + 1)..];
    }

    private static Dictionary<string, string> Outputs(bool dnsCreated) => new(AzdEnvironment)
    {
        ["AZURE_FUNCTIONAPP_NAME"] = "mta-func-abc",
        ["EDGE_KEY_VAULT_NAME"] = "mta-kve-abc",
        ["PIPELINE_KEY_VAULT_NAME"] = "mta-kvp-abc",
        ["TLS_CERTIFICATE_NAME"] = "edge-tls",
        ["MtaStorage__accountName"] = "mtastabc",
        ["MAIL_DOMAIN"] = "example.com",
        ["DNS_RECORDS_CREATED"] = dnsCreated ? "true" : "false",
        ["DNS_ZONE_RESOURCE_GROUP"] = dnsCreated ? "rg-dns" : "",
        ["EDGE_HOST_LABELS"] = "mx1 mx2",
        ["DNS_RECORDS"] = "mx1.example.com. 3600 IN CNAME e1.westeurope.azurecontainer.io.\nexample.com. 3600 IN MX 10 e1.westeurope.azurecontainer.io.",
    };

    [GeneratedRegex("""^edge_sources="(?<paths>[^"]+)"$""", RegexOptions.Multiline)]
    private static partial Regex EdgeSources();

    [GeneratedRegex(@"az keyvault secret set --vault-name \S+ --name (?<name>\S+)")]
    private static partial Regex SecretSet();

    [GeneratedRegex(@"\$\{?(?<name>[A-Z][A-Za-z_]*[A-Za-z])\b")]
    private static partial Regex Variable();
}
