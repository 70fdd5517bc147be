using System.Globalization;
using FsCheck.Xunit;

namespace MtaServerless.Testing;

/// <summary>
/// How hard the fuzz tests push: the test command runs a bounded budget with a fixed seed, so that a
/// failure repeats; <c>tests/soak/soak.sh</c> multiplies the budget (<c>MTA_FUZZ_SCALE</c>) and draws a
/// new seed (<c>MTA_FUZZ_SEED</c>) for each round.
/// </summary>
public static class FuzzBudget
{
    public static int Scale { get; } = Positive("MTA_FUZZ_SCALE") ?? 1;

    public static int Seed { get; } = Positive("MTA_FUZZ_SEED") ?? 20261128;

    private static int? Positive(string variable) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : null;
}

/// <summary>A property test with <see cref="FuzzBudget.Scale"/> times the given number of cases (FsCheck draws its own seed per run).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FuzzPropertyAttribute : PropertyAttribute
{
    public FuzzPropertyAttribute(int cases)
    {
        MaxTest = cases * FuzzBudget.Scale;
    }
}
