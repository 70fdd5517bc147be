namespace MtaServerless.Pipeline.Authentication;

/// <summary>The result keywords of RFC 8601 section 2.7; each method uses its own subset.</summary>
public enum AuthVerdict
{
    None,
    Pass,
    Fail,
    SoftFail,
    Neutral,
    Policy,
    TempError,
    PermError,
}
