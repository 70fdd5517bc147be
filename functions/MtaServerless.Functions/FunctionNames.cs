namespace MtaServerless.Functions;

/// <summary>Function names as Azure shows them; the local runner registers its triggers under the same names.</summary>
public static class FunctionNames
{
    public const string Ingest = "Ingest";
    public const string Deliver = "Deliver";
}
