using System.Text.Json;
using System.Text.RegularExpressions;

namespace MtaServerless.Bicep.Tests;

/// <summary>
/// The stage of <c>edge/Dockerfile</c> that becomes the image, read as the instructions the builder runs: the last
/// <c>FROM</c> onwards, continuation lines joined, comments dropped.
/// </summary>
internal sealed partial class EdgeDockerfile
{
    private readonly List<(string Keyword, string Arguments)> _instructions;

    private EdgeDockerfile(List<(string Keyword, string Arguments)> instructions) => _instructions = instructions;

    public static EdgeDockerfile Load()
    {
        var instructions = ReadInstructions();
        return new EdgeDockerfile(instructions.Skip(instructions.FindLastIndex(i => i.Keyword == "FROM")).ToList());
    }

    /// <summary>The build context's paths that the stages before the image's copy in (a <c>COPY --from</c> copies from a stage instead), relative to the repository root.</summary>
    public static IReadOnlyList<string> BuildStageCopySources()
    {
        var instructions = ReadInstructions();
        return instructions.Take(instructions.FindLastIndex(i => i.Keyword == "FROM"))
            .Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToArray();
    }

    /// <summary>Each instruction of the image's stage as written: keyword, space, arguments.</summary>
    public IEnumerable<string> Instructions => _instructions.Select(i => $"{i.Keyword} {i.Arguments}");

    public string WorkingDirectory => _instructions[LastIndexOf("WORKDIR")].Arguments;

    /// <summary>The user the image runs as: the last <c>USER</c> of the stage.</summary>
    public string User => _instructions[LastIndexOf("USER")].Arguments;

    /// <summary>The entry point in exec form (the shell form would put a shell between it and the capability).</summary>
    public IReadOnlyList<string> EntryPoint => JsonSerializer.Deserialize<string[]>(_instructions[LastIndexOf("ENTRYPOINT")].Arguments)!;

    /// <summary>Every <c>setcap</c> of a <c>RUN</c>: the file, the capabilities it gets, and the position of that instruction.</summary>
    public IEnumerable<(string File, string Capabilities, int Instruction)> FileCapabilities =>
        _instructions
            .Select((instruction, index) => (instruction, index))
            .Where(i => i.instruction.Keyword == "RUN")
            .SelectMany(i => SetCap().Matches(i.instruction.Arguments).Select(m => (m.Groups["file"].Value, m.Groups["capabilities"].Value, i.index)));

    private static List<(string Keyword, string Arguments)> ReadInstructions() =>
        Continuation().Replace(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "edge", "Dockerfile")), " ")
            .Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2) is [var keyword, var arguments] ? (keyword.ToUpperInvariant(), arguments.Trim()) : (l.ToUpperInvariant(), ""))
            .ToList();

    public int LastIndexOf(string keyword)
    {
        var index = _instructions.FindLastIndex(i => i.Keyword == keyword);
        Assert.True(index >= 0, $"The image's stage of edge/Dockerfile has no {keyword}.");
        return index;
    }

    [GeneratedRegex(@"\\\r?\n")]
    private static partial Regex Continuation();

    [GeneratedRegex(@"\bsetcap\s+(?<capabilities>\S+)\s+(?<file>[^\s;&|]+)")]
    private static partial Regex SetCap();
}
