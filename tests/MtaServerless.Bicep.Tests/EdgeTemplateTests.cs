using System.Reflection;
using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;
using MtaServerless.Edge;

namespace MtaServerless.Bicep.Tests;

[Collection(BicepCollection.Name)]
public sealed class EdgeTemplateTests(BicepBuild build)
{
    private static readonly int[] SmtpPorts = [25, 465, 587];

    [Fact]
    public void Group_ExposesSmtpPorts_OnAPublicAddressWithADnsLabel()
    {
        var ipAddress = Group["properties"]!["ipAddress"]!;

        Assert.Equal("Public", ipAddress["type"]!.GetValue<string>());
        Assert.Equal("[parameters('dnsNameLabel')]", ipAddress["dnsNameLabel"]!.GetValue<string>());
        Assert.Equal(SmtpPorts, Ports(ipAddress["ports"]!));
        Assert.Equal(SmtpPorts, Ports(Edge["properties"]!["ports"]!));
        Assert.All(ipAddress["ports"]!.AsArray(), p => Assert.Equal("TCP", p!["protocol"]!.GetValue<string>()));
    }

    [Fact]
    public void Group_RestartsAlways_AndProbesTheMxListenerOverTcp()
    {
        Assert.Equal("Always", Group["properties"]!["restartPolicy"]!.GetValue<string>());
        var command = Edge["properties"]!["livenessProbe"]!["exec"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        Assert.Equal("exec 3<>/dev/tcp/127.0.0.1/25", command[^1]);
    }

    [Fact]
    public void Listeners_AreBoundOnEveryExposedPort_WithTheEdgesRoles()
    {
        var environment = Environment();
        var listeners = Enumerable.Range(0, SmtpPorts.Length)
            .Select(i => (
                Port: int.Parse(environment[$"Edge__Listeners__{i}__Port"], System.Globalization.CultureInfo.InvariantCulture),
                Role: environment[$"Edge__Listeners__{i}__Role"],
                Address: environment[$"Edge__Listeners__{i}__Address"]))
            .OrderBy(l => l.Port)
            .ToArray();

        Assert.Equal(SmtpPorts, listeners.Select(l => l.Port));
        Assert.Equal(["mx", "submissions", "submission"], listeners.Select(l => l.Role));
        Assert.All(listeners, l => Assert.Equal("0.0.0.0", l.Address));
    }

    /// <summary>Each <c>Edge__*</c> variable binds to a property of <see cref="EdgeOptions"/> (an enum property to one of its values), so a renamed option fails here, not in Azure.</summary>
    [Fact]
    public void EdgeSettings_BindToEdgeOptions()
    {
        foreach (var (key, value) in Environment().Where(e => e.Key.StartsWith(EdgeOptions.SectionName + "__", StringComparison.Ordinal)))
        {
            var type = typeof(EdgeOptions);
            foreach (var segment in key.Split("__").Skip(1).Where(s => !s.All(char.IsAsciiDigit)))
            {
                var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                Assert.True(property is not null, $"{key}: {type.Name} has no property {segment}.");
                type = property.PropertyType.IsGenericType ? property.PropertyType.GetGenericArguments()[0] : property.PropertyType;
            }

            if (type.IsEnum)
            {
                Assert.True(Enum.TryParse(type, value, ignoreCase: true, out _), $"{key}: '{value}' is not a {type.Name}.");
            }
        }
    }

    [Fact]
    public void Tls_CertificateFromKeyVault_IsWrittenWhereTheEdgeReadsIt()
    {
        // A sidecar, not an init container: Container Instances gives init containers no managed identity.
        Assert.Null(Group["properties"]!["initContainers"]);
        var sidecar = Assert.Single(Group["properties"]!["containers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "tls-from-key-vault")!;
        var sidecarEnvironment = ArmTemplate.NameValues(sidecar["properties"]!["environmentVariables"]!);
        var pfxPath = Environment()[$"{EdgeOptions.SectionName}__Tls__PfxPath"];

        Assert.Equal(pfxPath, sidecarEnvironment["TLS_FILE"]);
        Assert.Equal("[parameters('identityClientId')]", sidecarEnvironment["AZURE_CLIENT_ID"]);
        Assert.Equal("[parameters('tlsCertificateName')]", sidecarEnvironment["CERTIFICATE_NAME"]);
        Assert.Equal("[parameters('keyVaultName')]", sidecarEnvironment["VAULT_NAME"]);

        // One volume: written by the sidecar, read-only in the edge, the file inside it.
        var written = Assert.Single(sidecar["properties"]!["volumeMounts"]!.AsArray())!;
        var read = Assert.Single(Edge["properties"]!["volumeMounts"]!.AsArray())!;
        Assert.Equal(written["name"]!.GetValue<string>(), read["name"]!.GetValue<string>());
        Assert.Equal(written["mountPath"]!.GetValue<string>(), read["mountPath"]!.GetValue<string>());
        Assert.True(read["readOnly"]!.GetValue<bool>());
        Assert.Equal("[variables('tlsFile')]", pfxPath);
        Assert.Contains(written["mountPath"]!.GetValue<string>().Trim('[', ']'), Template["variables"]!["tlsFile"]!.GetValue<string>());
    }

    [Fact]
    public void Edge_WaitsForTheCertificate_ThenStartsTheImagesEntryPoint()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "edge", "Dockerfile"));
        var workdir = dockerfile.Last(l => l.StartsWith("WORKDIR ", StringComparison.Ordinal))["WORKDIR ".Length..].Trim();
        var entryPoint = System.Text.Json.JsonSerializer.Deserialize<string[]>(dockerfile.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal))["ENTRYPOINT ".Length..])!;
        var command = Edge["properties"]!["command"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        var script = Template["variables"]![command[^1].Trim('[', ']').Replace("variables('", "", StringComparison.Ordinal).Replace("')", "", StringComparison.Ordinal)]!.GetValue<string>();

        Assert.Equal("dotnet", entryPoint[0]);
        Assert.Contains($"[ -s \"${EdgeOptions.SectionName}__Tls__PfxPath\" ]", script, StringComparison.Ordinal);
        Assert.EndsWith($"exec dotnet {workdir}/{entryPoint[1]}", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_IsReachedWithTheGroupsOwnIdentity()
    {
        var environment = Environment();

        Assert.Equal("[parameters('identityClientId')]", environment[$"{StorageNames.Connection}__clientId"]);
        Assert.Equal("[parameters('storageBlobServiceUri')]", environment[$"{StorageNames.Connection}__blobServiceUri"]);
        Assert.Equal("[parameters('storageQueueServiceUri')]", environment[$"{StorageNames.Connection}__queueServiceUri"]);
        Assert.Equal("[parameters('storageTableServiceUri')]", environment[$"{StorageNames.Connection}__tableServiceUri"]);
        Assert.Equal("UserAssigned", Group["identity"]!["type"]!.GetValue<string>());
        Assert.Equal(
            "[reference(format('edgeIdentities[{0}]', range(0, parameters('edgeCount'))[copyIndex()])).outputs.clientId.value]",
            ArmTemplate.ModuleParameter(build.Main, "edges", "identityClientId")!.GetValue<string>());
    }

    [Fact]
    public void Groups_AreAsManyAsTheCountParameter()
    {
        Assert.Equal("[length(range(0, parameters('edgeCount')))]", ArmTemplate.Module(build.Main, "edges")["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[length(range(0, parameters('edgeCount')))]", ArmTemplate.Module(build.Main, "edgeIdentities")["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[parameters('image')]", Edge["properties"]!["image"]!.GetValue<string>());
    }

    private JsonObject Template => ArmTemplate.ModuleTemplate(build.Main, "edges");

    private JsonObject Group => Assert.Single(ArmTemplate.ResourcesOfType(Template, "Microsoft.ContainerInstance/containerGroups"));

    private JsonNode Edge => Assert.Single(Group["properties"]!["containers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "edge")!;

    private Dictionary<string, string> Environment() => ArmTemplate.NameValues(Edge["properties"]!["environmentVariables"]!);

    private static int[] Ports(JsonNode ports) => ports.AsArray().Select(p => p!["port"]!.GetValue<int>()).Order().ToArray();
}
