using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;

namespace MtaServerless.Bicep.Tests;

/// <summary>Every identity gets exactly the roles it needs, on the narrowest scope, under a stable guid() name.</summary>
[Collection(BicepCollection.Name)]
public sealed class RoleAssignmentTests(BicepBuild build)
{
    [Fact]
    public void RoleAssignments_AreNamedWithGuid_AndGrantToServicePrincipals()
    {
        var assignments = ArmTemplate.ResourcesOfType(build.Main, "Microsoft.Authorization/roleAssignments").ToArray();

        Assert.NotEmpty(assignments);
        Assert.All(assignments, a =>
        {
            Assert.StartsWith("[guid(", a["name"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains("parameters('principalId')", a["name"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal("ServicePrincipal", a["properties"]!["principalType"]!.GetValue<string>());
        });
    }

    [Fact]
    public void RoleAssignments_AreMadeOnlyByTheRoleAssignmentsModule_ForTheFunctionsAndEachEdge()
    {
        var granting = ArmTemplate.Resources(build.Main)
            .Where(r => r["properties"]?["template"] is JsonObject t && ArmTemplate.ResourcesOfType(t, "Microsoft.Authorization/roleAssignments").Any())
            .Select(r => r["name"]!.GetValue<string>())
            .Order(StringComparer.Ordinal);

        Assert.Equal(["[format('edge-access-{0}', add(range(0, parameters('edgeCount'))[copyIndex()], 1))]", "functions-access"], granting);
        Assert.DoesNotContain(ArmTemplate.Resources(build.Main), r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments");
    }

    [Fact]
    public void Functions_ReadAndWriteTheAccountsData_ReadSecrets_PublishTelemetry()
    {
        Assert.Equal("[reference('functionsIdentity').outputs.principalId.value]", Parameter("functionsAccess", "principalId")!.GetValue<string>());
        Assert.Equal(["Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"], Roles("functionsAccess", "accountRoles"));
        Assert.Equal(["Key Vault Secrets User"], Roles("functionsAccess", "keyVaultRoles"));
        Assert.Equal(["Monitoring Metrics Publisher"], Roles("functionsAccess", "applicationInsightsRoles"));
        Assert.Null(Parameter("functionsAccess", "containerRoles"));
        Assert.Null(Parameter("functionsAccess", "queueRoles"));
        Assert.Null(Parameter("functionsAccess", "tableRoles"));
        Assert.Null(Parameter("functionsAccess", "containerRegistryRoles"));
    }

    [Fact]
    public void Edge_WritesSpool_SendsToInbound_ReadsRoutesAndUsers_Only()
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
        Assert.Equal(["Key Vault Secrets User"], Roles("edgeAccess", "keyVaultRoles"));
        Assert.Equal(["Monitoring Metrics Publisher"], Roles("edgeAccess", "applicationInsightsRoles"));
        Assert.Equal(["AcrPull"], Roles("edgeAccess", "containerRegistryRoles"));
        Assert.Equal("[parameters('edgeRegistryName')]", Parameter("edgeAccess", "containerRegistryName")!.GetValue<string>());
    }

    [Fact]
    public void EveryRoleGranted_HasABuiltInDefinitionId()
    {
        var ids = build.Template("modules/roles.bicep")["variables"]!["roleDefinitionIds"]!.AsObject();
        var granted = new[] { "functionsAccess", "edgeAccess" }
            .SelectMany(m => new[] { "accountRoles", "keyVaultRoles", "applicationInsightsRoles", "containerRegistryRoles" }.SelectMany(p => Roles(m, p))
                .Concat(new[] { "containerRoles", "queueRoles", "tableRoles" }.SelectMany(p => Scoped(m, p)).Select(g => g.Role)));

        Assert.All(granted, role => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", ids[role]!.GetValue<string>()));
    }

    private JsonNode? Parameter(string module, string parameter) => ArmTemplate.ModuleParameter(build.Main, module, parameter);

    private string[] Roles(string module, string parameter) =>
        Parameter(module, parameter)?.AsArray().Select(r => r!.GetValue<string>()).ToArray() ?? [];

    /// <summary>Grants on a named child of the account; the name is the storage module's output, resolved to its literal.</summary>
    private (string Name, string Role)[] Scoped(string module, string parameter)
    {
        var outputs = ArmTemplate.ModuleTemplate(build.Main, "storage")["outputs"]!;
        return Parameter(module, parameter)?.AsArray().Select(g =>
        {
            var output = System.Text.RegularExpressions.Regex.Match(g!["name"]!.GetValue<string>(), @"^\[reference\('storage'\)\.outputs\.(\w+)\.value\]$");
            Assert.True(output.Success, g["name"]!.GetValue<string>());
            return (outputs[output.Groups[1].Value]!["value"]!.GetValue<string>(), g["role"]!.GetValue<string>());
        }).ToArray() ?? [];
    }
}
