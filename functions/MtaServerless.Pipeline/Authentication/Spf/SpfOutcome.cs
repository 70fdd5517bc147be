namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>What check_host() ended with, and why.</summary>
internal sealed record SpfOutcome(AuthVerdict Verdict, string Reason);
