namespace MtaServerless.Cli;

/// <summary>A failure the user can act on: its message goes to stderr as it is, with its exit code.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException BadInput(string message) => new(ExitCodes.BadInput, message);

    public static CliException NotFound(string message) => new(ExitCodes.NotFound, message);
}

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int NotFound = 1;
    public const int BadInput = 2;
    public const int StorageFailure = 3;
}
