using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using MtaServerless.Core.Telemetry;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Authentication;
using MtaServerless.Pipeline.Deliver;
using MtaServerless.Pipeline.Dkim;

namespace MtaServerless.Bicep.Tests;

[Collection(BicepCollection.Name)]
public sealed class FunctionAppTemplateTests(BicepBuild build)
{
    /// <summary>The service URIs <c>MtaStorageClients</c> and the Functions host read from an identity-based connection.</summary>
    private static readonly string[] ServiceUris = ["blobServiceUri", "queueServiceUri", "tableServiceUri"];

    [Fact]
    public void Plan_IsFlexConsumption()
    {
        var plan = Assert.Single(ArmTemplate.ResourcesOfType(Template, "Microsoft.Web/serverfarms"));

        Assert.Equal("FC1", plan["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("FlexConsumption", plan["sku"]!["tier"]!.GetValue<string>());
        Assert.True(plan["properties"]!["reserved"]!.GetValue<bool>());
    }

    [Fact]
    public void Site_RunsDotnetIsolated10_FromAnIdentityReadDeploymentContainer()
    {
        var config = Site["properties"]!["functionAppConfig"]!;

        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("blobContainer", config["deployment"]!["storage"]!["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal("functionapp,linux", Site["kind"]!.GetValue<string>());
        Assert.Equal("UserAssigned", Site["identity"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void Site_IsHttpsOnly_WithTls12_AndNoBasicPublishingCredentials()
    {
        Assert.True(Site["properties"]!["httpsOnly"]!.GetValue<bool>());
        Assert.Equal("1.2", Site["properties"]!["siteConfig"]!["minTlsVersion"]!.GetValue<string>());
        var policies = ArmTemplate.ResourcesOfType(Template, "Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToArray();
        Assert.Equal(2, policies.Length);
        Assert.All(policies, p => Assert.False(p["properties"]!["allow"]!.GetValue<bool>()));
    }

    [Fact]
    public void AppSettings_GiveEveryConnectionOfFunctionsMetadata_AnIdentityBasedConnection()
    {
        var settings = AppSettings;

        foreach (var connection in FunctionsMetadata.Connections().Append("AzureWebJobsStorage"))
        {
            foreach (var uri in ServiceUris)
            {
                Assert.Equal($"[parameters('storage{char.ToUpperInvariant(uri[0])}{uri[1..]}')]", settings[$"{connection}__{uri}"]);
            }

            Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
            Assert.Equal("[parameters('identityClientId')]", settings[$"{connection}__clientId"]);
        }
    }

    [Fact]
    public void AppSettings_ClientId_IsTheFunctionsIdentitysClientId()
    {
        Assert.Equal(
            "[reference('functionsIdentity').outputs.clientId.value]",
            ArmTemplate.ModuleParameter(build.Main, "functionApp", "identityClientId")!.GetValue<string>());
        Assert.Equal(
            "[reference('functionsIdentity').outputs.id.value]",
            ArmTemplate.ModuleParameter(build.Main, "functionApp", "identityId")!.GetValue<string>());
    }

    [Fact]
    public void AppSettings_HoldNoStorageSecret_AndPublishTelemetryWithEntraId()
    {
        var settings = AppSettings;

        Assert.DoesNotContain(settings.Keys, k => k is "AzureWebJobsStorage" or "MtaStorage");
        Assert.DoesNotContain(settings.Values, v => v.Contains("listKeys", StringComparison.OrdinalIgnoreCase) || v.Contains("AccountKey", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", settings.Keys);
    }

    [Fact]
    public void AppSettings_PipelineKeys_NamePipelineOptions()
    {
        var pipelineKeys = AppSettings.Keys.Where(k => k.StartsWith(PipelineOptions.Section + "__", StringComparison.Ordinal)).ToArray();
        var properties = typeof(PipelineOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.Superset(
            new HashSet<string>([$"Pipeline__{nameof(PipelineOptions.HostName)}", $"Pipeline__{nameof(PipelineOptions.Backoff)}", $"Pipeline__{nameof(PipelineOptions.MaxLifetime)}"]),
            pipelineKeys.ToHashSet());
        Assert.All(pipelineKeys, k => Assert.Contains(k[(PipelineOptions.Section.Length + 2)..], properties));
    }

    [Fact]
    public void AppSettings_Pipeline_DefaultsAreThePipelinesDefaults()
    {
        var defaults = new PipelineOptions();

        Assert.Equal(defaults.Backoff, build.Main["parameters"]!["pipelineBackoff"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal("[format('{0}.00:00:00', parameters('pipelineMaxLifetimeDays'))]", AppSettings["Pipeline__MaxLifetime"]);
    }

    /// <summary>The deployment's polling interval is a parameter whose default is what host.json ships (and the local runner reads).</summary>
    [Fact]
    public void AppSettings_QueuePollingInterval_OverridesHostJsonWithTheParameter_WhoseDefaultIsHostJsons()
    {
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!;

        Assert.Equal("[parameters('queuePollingInterval')]", AppSettings["AzureFunctionsJobHost__extensions__queues__maxPollingInterval"]);
        Assert.Equal(
            hostJson["extensions"]!["queues"]!["maxPollingInterval"]!.GetValue<string>(),
            build.Main["parameters"]!["queuePollingInterval"]!["defaultValue"]!.GetValue<string>());
    }

    /// <summary>The edges take the same parameter (EdgeTemplateTests): a message's trace is kept or dropped whole.</summary>
    [Fact]
    public void AppSettings_TraceSamplingRatio_IsMainsParameter_WhoseDefaultIsTheTelemetryDefault()
    {
        Assert.Equal("[parameters('traceSamplingRatio')]", AppSettings[$"{TelemetryOptions.Section}__{nameof(TelemetryOptions.TraceSamplingRatio)}"]);
        Assert.Equal("[parameters('telemetryTraceSamplingRatio')]", ArmTemplate.ModuleParameter(build.Main, "functionApp", "traceSamplingRatio")!.GetValue<string>());
        Assert.Equal(
            new TelemetryOptions().TraceSamplingRatio.ToString(CultureInfo.InvariantCulture),
            build.Main["parameters"]!["telemetryTraceSamplingRatio"]!["defaultValue"]!.GetValue<string>());
    }

    /// <summary>Off unless the operator names a domain with a DKIM key: a seal without a key would only warn on every message.</summary>
    [Fact]
    public void AppSettings_ArcSealDomain_IsMainsParameter_EmptyByDefaultAsInTheCode()
    {
        Assert.Equal("[parameters('arcSealDomain')]", AppSettings[$"{AuthenticationOptions.Section}__{nameof(AuthenticationOptions.ArcSealDomain)}"]);
        Assert.Equal("[parameters('arcSealDomain')]", ArmTemplate.ModuleParameter(build.Main, "functionApp", "arcSealDomain")!.GetValue<string>());
        Assert.Equal(new AuthenticationOptions().ArcSealDomain, build.Main["parameters"]!["arcSealDomain"]!["defaultValue"]!.GetValue<string>());
    }

    [Fact]
    public void AppSettings_SmarthostCredentials_AreKeyVaultReferencesResolvedWithTheAppsIdentity()
    {
        var settings = AppSettings;

        foreach (var key in new[] { "UserName", "Password" })
        {
            Assert.StartsWith(
                "[format('@Microsoft.KeyVault(VaultName={0};SecretName={1})', parameters('keyVaultName'), parameters('smarthostVaultItems').",
                settings[$"{SmtpCredentials.Section}__smarthost__{key}"],
                StringComparison.Ordinal);
        }

        Assert.Equal("[parameters('identityId')]", Site["properties"]!["keyVaultReferenceIdentity"]!.GetValue<string>());
    }

    /// <summary>Not a Key Vault reference: those are resolved when the app starts, and mta dkim adds keys while it runs.</summary>
    [Fact]
    public void AppSettings_DkimKeyVaultUri_IsTheVaultWhoseSecretsTheAppsIdentityReads()
    {
        Assert.Equal("[parameters('keyVaultUri')]", AppSettings[$"{DkimOptions.Section}__{nameof(DkimOptions.KeyVaultUri)}"]);
        Assert.DoesNotContain(AppSettings.Keys, k => k.StartsWith(DkimOptions.Section, StringComparison.Ordinal) && k != $"{DkimOptions.Section}__{nameof(DkimOptions.KeyVaultUri)}");
    }

    private JsonObject Template => ArmTemplate.ModuleTemplate(build.Main, "functionApp");

    private JsonObject Site => Assert.Single(ArmTemplate.ResourcesOfType(Template, "Microsoft.Web/sites"));

    private Dictionary<string, string> AppSettings => ArmTemplate.NameValues(Site["properties"]!["siteConfig"]!["appSettings"]!);
}
