using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

[Collection(BicepCollection.Name)]
public sealed partial class BicepBuildTests(BicepBuild build)
{
    [Fact]
    public void Build_EveryBicepFile_CompilesWithoutErrorsOrLinterFindings()
    {
        Assert.True(build.ExitCode == 0, $"bicep build failed:{Environment.NewLine}{build.Diagnostics}");

        // A finding reads "path(line,col) : Warning rule-name: text"; warnings fail like errors.
        Assert.False(Diagnostic().IsMatch(build.Diagnostics), build.Diagnostics);
    }

    [Fact]
    public void Build_WritesATemplateForEveryBicepFile()
    {
        Assert.Contains("main.bicep", build.SourceFiles);
        Assert.True(build.SourceFiles.Count > 5, string.Join(", ", build.SourceFiles));
        foreach (var file in build.SourceFiles)
        {
            Assert.Equal("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", build.Template(file)["$schema"]!.GetValue<string>());
        }
    }

    [GeneratedRegex(@"\) : (Error|Warning|Info) ", RegexOptions.Multiline)]
    private static partial Regex Diagnostic();
}
