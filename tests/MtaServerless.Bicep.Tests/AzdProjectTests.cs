using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace MtaServerless.Bicep.Tests;

/// <summary>azure.yaml is what azd accepts and points at what the repository holds; the parameters file maps azd's environment onto main.bicep.</summary>
[Collection(BicepCollection.Name)]
public sealed partial class AzdProjectTests(BicepBuild build)
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Schemas", "azure.yaml.json")));

    [Fact]
    public void AzureYaml_IsValidAgainstTheAzdSchema()
    {
        var result = Validate(AzdProject.AzureYaml());

        Assert.True(result.IsValid, Describe(result));
    }

    /// <summary>The schema is the one azd enforces: what azd rejects, it rejects (so the test above says something).</summary>
    [Theory]
    [InlineData("provider: bicep", "provider: Bicep")]
    [InlineData("shell: sh", "shell: bash")]
    [InlineData("name: mtaserverless", "name: MtaServerless")]
    [InlineData("interactive: true", "interactive: yes please")]
    public void AzureYaml_WithWhatAzdRejects_IsInvalid(string valid, string invalid)
    {
        var text = File.ReadAllText(AzdProject.AzureYamlPath);
        Assert.Contains(valid, text, StringComparison.Ordinal);

        Assert.False(Validate(AzdProject.Yaml(text.Replace(valid, invalid, StringComparison.Ordinal))).IsValid);
    }

    [Fact]
    public void Infra_IsMainBicep_AndItsParametersFile()
    {
        var infra = AzdProject.AzureYaml()["infra"]!;
        var folder = Path.Combine(RepositoryPaths.Root, infra["path"]!.GetValue<string>());

        Assert.Equal("bicep", infra["provider"]!.GetValue<string>());
        Assert.Equal(RepositoryPaths.Bicep, Path.GetFullPath(folder).TrimEnd('/'));
        Assert.True(File.Exists(Path.Combine(folder, infra["module"]!.GetValue<string>() + ".bicep")));
        Assert.True(File.Exists(Path.Combine(folder, infra["module"]!.GetValue<string>() + ".parameters.json")));
    }

    /// <summary>azd deploys a function service to the site whose azd-service-name tag is the service's name.</summary>
    [Fact]
    public void FunctionsService_IsTheFunctionsProject_DeployedToTheSiteTaggedWithItsName()
    {
        var service = Assert.Single(AzdProject.AzureYaml()["services"]!.AsObject());
        var project = Path.Combine(RepositoryPaths.Root, service.Value!["project"]!.GetValue<string>());
        var site = Assert.Single(ArmTemplate.ResourcesOfType(ArmTemplate.ModuleTemplate(build.Main, "functionApp"), "Microsoft.Web/sites"));

        Assert.Equal("function", service.Value["host"]!.GetValue<string>());
        Assert.Equal("dotnet", service.Value["language"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(project, "MtaServerless.Functions.csproj")), project);
        Assert.Equal("[union(parameters('tags'), createObject('azd-service-name', parameters('azdServiceName')))]", site["tags"]!.GetValue<string>());
        Assert.Equal(service.Key, ArmTemplate.ModuleParameter(build.Main, "functionApp", "azdServiceName")!.GetValue<string>());
    }

    /// <summary>azd runs a sh hook's file itself on Linux and macOS (bash on Windows): it must be there and executable.</summary>
    [Fact]
    public void Hooks_AreExecutableShellScriptsOfTheRepository()
    {
        var hooks = AzdProject.AzureYaml()["hooks"]!.AsObject();

        Assert.Equal(["postdown", "postprovision", "preprovision"], hooks.Select(h => h.Key).Order(StringComparer.Ordinal));
        foreach (var (name, hook) in hooks)
        {
            var script = Path.Combine(RepositoryPaths.Root, hook!["run"]!.GetValue<string>());
            Assert.True(File.Exists(script), $"{name}: no {script}");
            Assert.Equal("sh", hook["shell"]!.GetValue<string>());
            Assert.StartsWith("#!/bin/sh\n", File.ReadAllText(script), StringComparison.Ordinal);
            Assert.True(IsExecutable(script), $"{script} is not executable.");
        }
    }

    [Fact]
    public void Parameters_AreDeclaredByMain_AndSupplyEveryRequiredOne()
    {
        var declared = build.Main["parameters"]!.AsObject();
        var mapped = AzdProject.Parameters();

        Assert.All(mapped, p => Assert.True(declared.ContainsKey(p.Key), $"main.bicep declares no parameter {p.Key}."));
        var required = declared.Where(p => p.Value!["defaultValue"] is null && p.Value["nullable"] is null).Select(p => p.Key);
        Assert.All(required, name => Assert.True(mapped.ContainsKey(name), $"main.parameters.json gives no value for the required parameter {name}."));
    }

    /// <summary>The signed-in account azd substitutes is the operator the template grants data roles to.</summary>
    [Fact]
    public void Parameters_GrantTheSignedInAccount_AndTakeTheImageAndRegionAzdAndItsHookSet()
    {
        var mapped = AzdProject.Parameters();

        Assert.Equal("${AZURE_PRINCIPAL_ID}", Value(mapped, "principalId"));
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", Value(mapped, "principalType"));
        Assert.Equal("${AZURE_LOCATION}", Value(mapped, "location"));
        Assert.StartsWith("${EDGE_IMAGE=", Value(mapped, "edgeImage"), StringComparison.Ordinal);
    }

    /// <summary>The preprovision hook deploys the registry with the prefix main.bicep will get, or the names would differ.</summary>
    [Fact]
    public void NamePrefix_HasOneDefault_InTheTemplateTheParametersFileAndTheHook()
    {
        var hook = File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "hooks", "preprovision.sh"));
        var templateDefault = build.Main["parameters"]!["namePrefix"]!["defaultValue"]!.GetValue<string>();

        Assert.Equal($"${{MTA_NAME_PREFIX={templateDefault}}}", Value(AzdProject.Parameters(), "namePrefix"));
        Assert.Equal(templateDefault, HookDefault().Match(hook).Groups["value"].Value);
    }

    private static bool IsExecutable(string path) => OperatingSystem.IsLinux()
        ? File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute)
        : throw new PlatformNotSupportedException("These tests run on Linux, as the restored bicep compiler does.");

    private static string Value(JsonObject parameters, string name) => parameters[name]!["value"]!.GetValue<string>();

    private static EvaluationResults Validate(JsonObject document) =>
        Schema.Evaluate(JsonSerializer.SerializeToElement(document), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Describe(EvaluationResults result) =>
        string.Join(Environment.NewLine, (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [GeneratedRegex(@"name_prefix=\$\{MTA_NAME_PREFIX:-(?<value>[a-z0-9]+)\}")]
    private static partial Regex HookDefault();
}
