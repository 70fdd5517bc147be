namespace MtaServerless.Core.Documents;

public interface IVersionedDocument
{
    int V { get; }
}

public static class DocumentVersion
{
    public const int Current = 1;
}
