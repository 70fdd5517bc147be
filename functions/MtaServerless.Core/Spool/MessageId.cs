namespace MtaServerless.Core.Spool;

/// <summary>Message ids are version 7 GUIDs in hex: unique without coordination, and sorted by time in listings.</summary>
public static class MessageId
{
    public static string New() => Guid.CreateVersion7().ToString("N");
}
