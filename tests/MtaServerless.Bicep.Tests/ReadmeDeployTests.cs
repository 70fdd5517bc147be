using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>A lint of README's "Deploy to Azure": its commands and its parameter table say what the template and the hooks do.</summary>
[Collection(BicepCollection.Name)]
public sealed partial class ReadmeDeployTests(BicepBuild build)
{
    private static readonly string Section = DeploySection();

    [Fact]
    public void DeploySection_StartsWithAzdUp_AndListsWhatNeedsARealSubscription()
    {
        Assert.Equal("azd up", CodeBlocks().First().Trim());
        Assert.Matches(@"### What still needs a real subscription\n\n[^#]+\n- ", Section);
    }

    /// <summary>Every parameter of main.bicep has a row, every row names one, and a literal default is the template's.</summary>
    [Fact]
    public void ParameterTable_NamesEveryParameterOfMain_WithItsDefault()
    {
        var declared = build.Main["parameters"]!.AsObject();
        var rows = ParameterRows().Matches(Section).SelectMany(row => row.Groups["names"].Value.Split(", ").Select((name, i) => (Name: name.Trim('`'), Default: Defaults(row.Groups["default"].Value).ElementAtOrDefault(i)))).ToArray();

        Assert.Equal(declared.Select(p => p.Key).Order(StringComparer.Ordinal), rows.Select(r => r.Name).Order(StringComparer.Ordinal));
        foreach (var (name, written) in rows)
        {
            var value = declared[name]!["defaultValue"];
            if (value is null)
            {
                Assert.True(written == "required", $"{name} has no default in main.bicep, and the README says '{written}'.");
            }
            else if (value is JsonValue literal && !literal.ToString().StartsWith('['))
            {
                var expected = literal.ToString();
                Assert.True(written == expected || (expected.Length == 0 && written == "empty"), $"{name}: main.bicep's default is '{expected}', the README says '{written}'.");
            }
        }
    }

    /// <summary>A <c>name=value</c> after <c>--parameters</c> must be a parameter of the template file the command deploys.</summary>
    [Fact]
    public void DeploymentCommands_PassOnlyParametersTheirTemplateDeclares()
    {
        var commands = Commands().Where(c => c.Contains("az deployment group create", StringComparison.Ordinal)).ToArray();

        Assert.Equal(2, commands.Length);
        foreach (var command in commands)
        {
            var file = TemplateFile().Match(command).Groups["file"].Value;
            var declared = build.Template(Path.GetRelativePath("bicep", file))["parameters"]!.AsObject();
            var passed = ParameterAssignment().Matches(command[command.IndexOf("--parameters", StringComparison.Ordinal)..]).Select(m => m.Groups["name"].Value).ToArray();

            Assert.NotEmpty(passed);
            Assert.All(passed, name => Assert.True(declared.ContainsKey(name), $"{file} declares no parameter {name}."));
        }
    }

    /// <summary>Each azd variable the README sets is one the parameters file maps or a hook reads.</summary>
    [Fact]
    public void AzdEnvSet_NamesAVariableTheDeploymentReads()
    {
        var mapped = AzdProject.Parameters().ToJsonString();
        var hooks = string.Concat(Directory.GetFiles(Path.Combine(RepositoryPaths.Bicep, "hooks"), "*.sh").Select(File.ReadAllText));
        var set = AzdEnvSet().Matches(Section).Select(m => m.Groups["name"].Value).ToArray();

        Assert.NotEmpty(set);
        Assert.All(set, name => Assert.True(mapped.Contains("${" + name, StringComparison.Ordinal) || hooks.Contains("${" + name, StringComparison.Ordinal), $"Nothing reads {name}."));
    }

    /// <summary>The image the README builds by hand is the one the hook builds: same Dockerfile, same repository.</summary>
    [Fact]
    public void ImageBuild_ByHand_IsTheHooksBuild()
    {
        var hook = File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "hooks", "preprovision.sh"));
        var byHand = Assert.Single(Commands(), c => c.StartsWith("az acr build", StringComparison.Ordinal));

        Assert.Contains("--file edge/Dockerfile .", byHand, StringComparison.Ordinal);
        Assert.Contains("--file edge/Dockerfile .", hook, StringComparison.Ordinal);
        Assert.Contains("--image mtaserverless-edge:", byHand, StringComparison.Ordinal);
        Assert.Contains("image=mtaserverless-edge:$tag", hook, StringComparison.Ordinal);
    }

    private static string DeploySection()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md"));
        var start = readme.IndexOf("\n## Deploy to Azure\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README has no 'Deploy to Azure' section.");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    private static IEnumerable<string> CodeBlocks() => CodeBlock().Matches(Section).Select(m => m.Groups["code"].Value);

    /// <summary>Shell commands of the code blocks, continuation lines joined and comments dropped.</summary>
    private static IEnumerable<string> Commands() => CodeBlocks()
        .SelectMany(block => Continuation().Replace(block, " ").Split('\n'))
        .Select(line => Comment().Replace(line, "").Trim())
        .Where(line => line.Length > 0);

    /// <summary>A default cell: <c>`a`, `b`</c> (one per name of the row), <c>required</c>, <c>empty</c> or <c>none</c>, with an azd variable in parentheses.</summary>
    private static string[] Defaults(string cell)
    {
        var literals = Literal().Matches(Parenthesis().Replace(cell, "")).Select(m => m.Groups["value"].Value).ToArray();
        return literals.Length > 0 ? literals : [Parenthesis().Replace(cell, "").Trim()];
    }

    [GeneratedRegex(@"```sh\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"\\\n\s*")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"\s+#.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^\| (?<names>`[a-zA-Z]+`(?:, `[a-zA-Z]+`)*) \| (?<default>[^|]+) \| [^|]+ \|$", RegexOptions.Multiline)]
    private static partial Regex ParameterRows();

    [GeneratedRegex(@"`(?<value>[^`]*)`")]
    private static partial Regex Literal();

    [GeneratedRegex(@"\s*\([^)]*\)")]
    private static partial Regex Parenthesis();

    [GeneratedRegex(@"--template-file (?<file>\S+)")]
    private static partial Regex TemplateFile();

    [GeneratedRegex(@"(?:^|\s)(?<name>[a-zA-Z]+)=")]
    private static partial Regex ParameterAssignment();

    [GeneratedRegex(@"azd env set (?<name>[A-Z_]+) ")]
    private static partial Regex AzdEnvSet();
}
