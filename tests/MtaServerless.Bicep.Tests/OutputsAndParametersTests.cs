using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;

namespace MtaServerless.Bicep.Tests;

[Collection(BicepCollection.Name)]
public sealed class OutputsAndParametersTests(BicepBuild build)
{
    private static readonly string[] SecretWords = ["secret", "password", "connectionstring", "instrumentationkey", "accountkey", "sas"];

    [Fact]
    public void Outputs_HoldNoSecrets()
    {
        foreach (var file in build.SourceFiles)
        {
            foreach (var (name, output) in build.Template(file)["outputs"]?.AsObject() ?? [])
            {
                var type = output!["type"]!.GetValue<string>();
                var value = string.Join(" ", ArmTemplate.Strings(output["value"] ?? output["copy"]));

                Assert.False(type.StartsWith("secure", StringComparison.OrdinalIgnoreCase), $"{file}: output {name} is {type}.");
                Assert.DoesNotContain(SecretWords, w => name.Contains(w, StringComparison.OrdinalIgnoreCase));
                Assert.DoesNotContain(SecretWords, w => value.Contains(w, StringComparison.OrdinalIgnoreCase));
                Assert.DoesNotMatch(@"\blist\w*\(", value);
            }
        }
    }

    [Fact]
    public void Outputs_AreNamedForTheStorageSettings_AndGiveTheEdgesAddresses()
    {
        var outputs = build.Main["outputs"]!.AsObject();

        foreach (var key in new[] { "blobServiceUri", "queueServiceUri", "tableServiceUri", "accountName" })
        {
            Assert.True(outputs.ContainsKey($"{StorageNames.Connection}__{key}"), $"No output {StorageNames.Connection}__{key}.");
        }

        Assert.Equal("array", outputs["EDGE_FQDNS"]!["type"]!.GetValue<string>());
        Assert.Contains("outputs.fqdn.value", outputs["EDGE_FQDNS"]!["copy"]!["input"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("outputs.ipAddress.value", outputs["EDGE_IP_ADDRESSES"]!["copy"]!["input"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(outputs.ContainsKey("AZURE_FUNCTIONAPP_NAME"));
    }

    [Fact]
    public void SampleParameters_AreDeclaredByMain_AndSupplyEveryRequiredOne()
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "main.parameters.sample.json")))!["parameters"]!.AsObject();
        var declared = build.Main["parameters"]!.AsObject();

        Assert.All(sample, p => Assert.True(declared.ContainsKey(p.Key), $"main.bicep declares no parameter {p.Key}."));
        var required = declared.Where(p => p.Value!["defaultValue"] is null && p.Value["nullable"] is null).Select(p => p.Key);
        Assert.All(required, name => Assert.True(sample.ContainsKey(name), $"The sample gives no value for the required parameter {name}."));
    }
}
