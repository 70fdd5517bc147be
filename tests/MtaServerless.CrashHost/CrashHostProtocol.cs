namespace MtaServerless.CrashHost;

/// <summary>What the process writes once its edge listens and its queue listeners run.</summary>
public static class CrashHostProtocol
{
    public const string Ready = "crash-host: ready";
}
