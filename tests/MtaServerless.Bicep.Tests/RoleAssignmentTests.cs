using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MtaServerless.Core.Storage;

namespace MtaServerless.Bicep.Tests;

/// <summary>Every principal gets exactly the roles it needs, on the narrowest scope, under a stable guid() name.</summary>
[Collection(BicepCollection.Name)]
public sealed partial class RoleAssignmentTests(BicepBuild build)
{
    private static readonly string[] Modules = ["functionsAccess", "edgeAccess", "operatorAccess"];

    [Fact]
    public void RoleAssignments_AreNamedWithGuid_ForTheModulesPrincipalAndType()
    {
        var template = ArmTemplate.ModuleTemplate(build.Main, "functionsAccess");
        var assignments = ArmTemplate.ResourcesOfType(template, "Microsoft.Authorization/roleAssignments").ToArray();

        Assert.NotEmpty(assignments);
        Assert.All(assignments, a =>
        {
            Assert.StartsWith("[guid(", a["name"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("parameters('principalId')", a["name"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("[parameters('principalType')]", a["properties"]!["principalType"]!.GetValue<string>());
        });

        // Workload identities are the default; only the operator's grants say otherwise.
        Assert.Equal("ServicePrincipal", new ArmExpression(template).Evaluate("[parameters('principalType')]"));
        Assert.Null(Parameter("functionsAccess", "principalType"));
        Assert.Null(Parameter("edgeAccess", "principalType"));
        Assert.Equal("[parameters('principalType')]", Parameter("operatorAccess", "principalType")!.GetValue<string>());
    }

    [Fact]
    public void RoleAssignments_AreMadeOnlyByTheRoleAssignmentsModule_ForTheFunctionsEachEdgeAndTheOperator()
    {
        var granting = ArmTemplate.Resources(build.Main)
            .Where(r => r["properties"]?["template"] is JsonObject t && ArmTemplate.ResourcesOfType(t, "Microsoft.Authorization/roleAssignments").Any())
            .Select(r => r["name"]!.GetValue<string>())
            .Order(StringComparer.Ordinal);

        Assert.Equal(["[format('edge-access-{0}', add(range(0, parameters('edgeCount'))[copyIndex()], 1))]", "functions-access", "operator-access"], granting);
        Assert.DoesNotContain(ArmTemplate.Resources(build.Main), r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments");
    }

    [Fact]
    public void Functions_ReadAndWriteTheAccountsData_ReadThePipelineVault_PublishTelemetry()
    {
        Assert.Equal("[reference('functionsIdentity').outputs.principalId.value]", Parameter("functionsAccess", "principalId")!.GetValue<string>());
        Assert.Equal(["Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"], Roles("functionsAccess", "accountRoles"));
        Assert.Equal([("pipelineVault", "Key Vault Secrets User")], Vaults("functionsAccess"));
        Assert.Equal(["Monitoring Metrics Publisher"], Roles("functionsAccess", "applicationInsightsRoles"));
        Assert.Null(Parameter("functionsAccess", "containerRoles"));
        Assert.Null(Parameter("functionsAccess", "queueRoles"));
        Assert.Null(Parameter("functionsAccess", "tableRoles"));
        Assert.Null(Parameter("functionsAccess", "containerRegistryRoles"));
    }

    [Fact]
    public void Edge_WritesSpool_SendsToInbound_ReadsRoutesAndUsers_AndItsOwnVault_Only()
    {
        Assert.Equal(
            "[reference(format('edgeIdentities[{0}]', range(0, parameters('edgeCount'))[copyIndex()])).outputs.principalId.value]",
            Parameter("edgeAccess", "principalId")!.GetValue<string>());
        Assert.Null(Parameter("edgeAccess", "accountRoles"));
        Assert.Equal([(StorageNames.SpoolContainer, "Storage Blob Data Contributor")], Scoped("edgeAccess", "containerRoles"));
        Assert.Equal([(StorageNames.InboundQueue, "Storage Queue Data Message Sender")], Scoped("edgeAccess", "queueRoles"));
        Assert.Equal(
            [(StorageNames.RoutesTable, "Storage Table Data Reader"), (StorageNames.UsersTable, "Storage Table Data Reader")],
            Scoped("edgeAccess", "tableRoles"));
        Assert.Equal([("edgeVault", "Key Vault Secrets User")], Vaults("edgeAccess"));
        Assert.Equal(["Monitoring Metrics Publisher"], Roles("edgeAccess", "applicationInsightsRoles"));
        Assert.Equal(["AcrPull"], Roles("edgeAccess", "containerRegistryRoles"));
        Assert.Equal("[reference('registry').outputs.name.value]", Parameter("edgeAccess", "containerRegistryName")!.GetValue<string>());
    }

    /// <summary>
    /// A role on a vault reaches every secret in it, so the split is by vault: an internet-facing edge can read its
    /// certificate and nothing else, the functions the smarthost login and never the edges' private key.
    /// </summary>
    [Fact]
    public void Vaults_AreOnePerReader_AndNoWorkloadReadsTheOthersVault()
    {
        var vaults = ArmTemplate.Resources(build.Main)
            .Where(r => r["properties"]?["template"] is JsonObject t && ArmTemplate.ResourcesOfType(t, "Microsoft.KeyVault/vaults").Any(v => v["existing"] is null))
            .Select(r => r["name"]!.GetValue<string>())
            .Order(StringComparer.Ordinal);
        var readers = Modules.SelectMany(m => Vaults(m).Where(g => g.Role == "Key Vault Secrets User").Select(g => (Module: m, g.Vault))).ToArray();

        Assert.Equal(["edge-vault", "pipeline-vault"], vaults);
        Assert.Equal([("functionsAccess", "pipelineVault"), ("edgeAccess", "edgeVault")], readers);
        Assert.Equal("[reference('pipelineVault').outputs.name.value]", ArmTemplate.ModuleParameter(build.Main, "functionApp", "keyVaultName")!.GetValue<string>());
        Assert.Equal("[reference('edgeVault').outputs.name.value]", ArmTemplate.ModuleParameter(build.Main, "edges", "keyVaultName")!.GetValue<string>());
    }

    /// <summary>What the mta CLI and the vault commands of the README need, and only for the principal given.</summary>
    [Fact]
    public void Operator_ManagesRoutesUsersAndDkimKeys_ReadsDeliveries_ReplaysQueues_ImportsTheCertificate_SetsPipelineSecrets()
    {
        Assert.Equal("[not(empty(parameters('principalId')))]", ArmTemplate.Module(build.Main, "operatorAccess")["condition"]!.GetValue<string>());
        Assert.Equal("[parameters('principalId')]", Parameter("operatorAccess", "principalId")!.GetValue<string>());
        Assert.Equal(["Storage Queue Data Contributor"], Roles("operatorAccess", "accountRoles"));
        Assert.Equal(
            [
                (StorageNames.RoutesTable, "Storage Table Data Contributor"),
                (StorageNames.UsersTable, "Storage Table Data Contributor"),
                (StorageNames.DeliveriesTable, "Storage Table Data Reader"),
                (StorageNames.DkimKeysTable, "Storage Table Data Contributor"),
            ],
            Scoped("operatorAccess", "tableRoles"));
        Assert.Equal([("edgeVault", "Key Vault Certificates Officer"), ("pipelineVault", "Key Vault Secrets Officer")], Vaults("operatorAccess"));
        Assert.Null(Parameter("operatorAccess", "containerRoles"));
        Assert.Null(Parameter("operatorAccess", "applicationInsightsRoles"));
    }

    /// <summary>
    /// DKIM private keys are secrets of the pipeline's vault: the functions' identity reads them, the operator writes them
    /// (mta dkim), and nothing else has any role there: no edge, and no role on the edges' side reaches them.
    /// </summary>
    [Fact]
    public void DkimKeys_AreReadByTheFunctionsIdentityOnly_WrittenByTheOperator_AndTheFunctionsKnowTheVault()
    {
        var onPipelineVault = Modules.SelectMany(m => Vaults(m).Where(g => g.Vault == "pipelineVault").Select(g => (Module: m, g.Role))).ToArray();

        Assert.Equal([("functionsAccess", "Key Vault Secrets User"), ("operatorAccess", "Key Vault Secrets Officer")], onPipelineVault);
        Assert.DoesNotContain(Scoped("edgeAccess", "tableRoles"), g => g.Name == StorageNames.DkimKeysTable);
        Assert.Equal("[reference('pipelineVault').outputs.uri.value]", ArmTemplate.ModuleParameter(build.Main, "functionApp", "keyVaultUri")!.GetValue<string>());
        Assert.Equal("[reference('pipelineVault').outputs.name.value]", ArmTemplate.ModuleParameter(build.Main, "functionApp", "keyVaultName")!.GetValue<string>());
    }

    [Fact]
    public void EveryRoleGranted_HasABuiltInDefinitionId()
    {
        var ids = build.Template("modules/roles.bicep")["variables"]!["roleDefinitionIds"]!.AsObject();
        var granted = Modules
            .SelectMany(m => new[] { "accountRoles", "applicationInsightsRoles", "containerRegistryRoles" }.SelectMany(p => Roles(m, p))
                .Concat(new[] { "containerRoles", "queueRoles", "tableRoles" }.SelectMany(p => Scoped(m, p)).Select(g => g.Role))
                .Concat(Vaults(m).Select(g => g.Role)))
            .ToArray();

        Assert.Contains("Key Vault Certificates Officer", granted);
        Assert.All(granted, role => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", ids[role]!.GetValue<string>()));
    }

    private JsonNode? Parameter(string module, string parameter) => ArmTemplate.ModuleParameter(build.Main, module, parameter);

    private string[] Roles(string module, string parameter) =>
        Parameter(module, parameter)?.AsArray().Select(r => r!.GetValue<string>()).ToArray() ?? [];

    /// <summary>Grants on a vault: the module of main.bicep whose output names the vault, and the role.</summary>
    private (string Vault, string Role)[] Vaults(string module) =>
        Parameter(module, "keyVaultRoles")?.AsArray().Select(g =>
        {
            var output = ModuleOutput().Match(g!["name"]!.GetValue<string>());
            Assert.True(output.Success && output.Groups["output"].Value == "name", g["name"]!.GetValue<string>());
            return (output.Groups["module"].Value, g["role"]!.GetValue<string>());
        }).ToArray() ?? [];

    /// <summary>Grants on a named child of the account; the name is the storage module's output, resolved to its literal.</summary>
    private (string Name, string Role)[] Scoped(string module, string parameter)
    {
        var outputs = ArmTemplate.ModuleTemplate(build.Main, "storage")["outputs"]!;
        return Parameter(module, parameter)?.AsArray().Select(g =>
        {
            var output = ModuleOutput().Match(g!["name"]!.GetValue<string>());
            Assert.True(output.Success && output.Groups["module"].Value == "storage", g["name"]!.GetValue<string>());
            return (outputs[output.Groups["output"].Value]!["value"]!.GetValue<string>(), g["role"]!.GetValue<string>());
        }).ToArray() ?? [];
    }

    [GeneratedRegex(@"^\[reference\('(?<module>\w+)'\)\.outputs\.(?<output>\w+)\.value\]$")]
    private static partial Regex ModuleOutput();
}
