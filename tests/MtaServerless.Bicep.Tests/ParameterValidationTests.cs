using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>Bad parameters stop the deployment before anything is created, with a message that names them.</summary>
[Collection(BicepCollection.Name)]
public sealed partial class ParameterValidationTests(BicepBuild build)
{
    [Theory]
    [InlineData("mta")]
    [InlineData("mail2")]
    [InlineData("a1b2c3d4")]
    public void NamePrefix_LowercaseLettersAndDigitsStartingWithALetter_IsAccepted(string namePrefix)
    {
        Assert.Equal(namePrefix, CheckedNamePrefix(namePrefix));
    }

    /// <summary>Each of these breaks the vault (a leading digit, a hyphen next to another), the storage account (upper case, hyphens) or the registry name (anything but letters and digits).</summary>
    [Theory]
    [InlineData("Mta")]
    [InlineData("mta-1")]
    [InlineData("1mta")]
    [InlineData("mta_")]
    [InlineData("mtä")]
    [InlineData("mt a")]
    public void NamePrefix_AnyOtherCharacter_FailsTheDeploymentNamingIt(string namePrefix)
    {
        var failure = Assert.Throws<ArmDeploymentFailure>(() => CheckedNamePrefix(namePrefix));

        Assert.StartsWith($"namePrefix '{namePrefix}' must be lowercase letters and digits and start with a letter", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>The check is only worth something if nothing builds a name from the raw parameter.</summary>
    [Fact]
    public void NamePrefix_ReachesEveryNameOnlyThroughTheCheck()
    {
        // main.bicep's own expressions: its modules' templates and the imported function have parameters of their own.
        var main = build.Main.DeepClone().AsObject();
        main.Remove("functions");
        foreach (var module in ArmTemplate.Resources(main))
        {
            module["properties"]?.AsObject().Remove("template");
        }

        var registry = build.Template("modules/container-registry.bicep");

        Assert.Equal(["[__bicep.checkedNamePrefix(parameters('namePrefix'))]"], ArmTemplate.Strings(main).Where(s => RawNamePrefix().IsMatch(s)));
        Assert.StartsWith("[format('{0}cr{1}', __bicep.checkedNamePrefix(parameters('namePrefix'))", Assert.Single(ArmTemplate.Resources(registry))["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, build.Main["parameters"]!["namePrefix"]!["minLength"]!.GetValue<int>());
        Assert.Equal(8, build.Main["parameters"]!["namePrefix"]!["maxLength"]!.GetValue<int>());
    }

    /// <summary>
    /// Every region offers Flex Consumption, so the list is the only check; it has no default, since the resource
    /// group's region may not be one, and azd reads it to offer only these regions.
    /// </summary>
    [Fact]
    public void Location_IsOneOfTheFlexConsumptionRegions_WithoutADefault_AndAzdPicksFromThem()
    {
        var location = build.Main["parameters"]!["location"]!;
        var allowed = location["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray();

        Assert.Null(location["defaultValue"]);
        Assert.Equal("location", location["metadata"]!["azd"]!["type"]!.GetValue<string>());
        Assert.Contains("westeurope", allowed);
        Assert.Contains("eastus", allowed);
        Assert.All(allowed, region => Assert.Matches("^[a-z]+[0-9]?$", region));
        Assert.DoesNotContain(allowed, region => region.EndsWith("euap", StringComparison.Ordinal));
        Assert.Equal(allowed.Distinct().Order(StringComparer.Ordinal), allowed);
        Assert.Contains(Sample()["location"]!["value"]!.GetValue<string>(), allowed);
    }

    /// <summary>
    /// A vault's name stays taken for 90 days after it is deleted (purge protection), so a name derived from the
    /// resource group would collide when a deleted deployment is rebuilt under the same name. The functions identity's
    /// object id is new whenever the resource group is built anew and stable while it lives.
    /// </summary>
    [Fact]
    public void VaultNames_ComeFromTheFunctionsIdentity_NotFromTheResourceGroup_AndFitKeyVaultsLength()
    {
        foreach (var (module, kind) in new[] { ("edgeVault", "kve"), ("pipelineVault", "kvp") })
        {
            Assert.Equal(
                $"[take(format('{{0}}-{kind}-{{1}}', variables('prefix'), uniqueString(reference('functionsIdentity').outputs.principalId.value)), 24)]",
                ArmTemplate.ModuleParameter(build.Main, module, "name")!.GetValue<string>());
        }

        var vault = Assert.Single(ArmTemplate.ResourcesOfType(ArmTemplate.ModuleTemplate(build.Main, "edgeVault"), "Microsoft.KeyVault/vaults"))["properties"]!;
        Assert.True(vault["enablePurgeProtection"]!.GetValue<bool>());
        Assert.Equal(90, vault["softDeleteRetentionInDays"]!.GetValue<int>());
    }

    private string CheckedNamePrefix(string namePrefix) =>
        Assert.IsType<string>(new ArmExpression(build.Main, new Dictionary<string, object?> { ["namePrefix"] = namePrefix }).Variable("prefix"));

    private static JsonObject Sample() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "main.parameters.sample.json")))!["parameters"]!.AsObject();

    [GeneratedRegex(@"parameters\('namePrefix'\)")]
    private static partial Regex RawNamePrefix();
}
