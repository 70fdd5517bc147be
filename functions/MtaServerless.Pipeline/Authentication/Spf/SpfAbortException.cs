namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>A temperror or permerror: it ends the whole check, however deep in includes it happened (RFC 7208 5.2, 4.6.4).</summary>
internal sealed class SpfAbortException(AuthVerdict verdict, string reason) : Exception(reason)
{
    public AuthVerdict Verdict { get; } = verdict;
}
