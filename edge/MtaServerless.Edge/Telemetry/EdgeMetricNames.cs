namespace MtaServerless.Edge.Telemetry;

/// <summary>
/// The edge's metrics beyond telemetry.json: no workbook query or alert reads them (yet), so they are
/// not part of that contract; README lists them.
/// </summary>
public static class EdgeMetricNames
{
    public const string MessagesAccepted = "mta.edge.messages.accepted";
    public const string MessagesRejected = "mta.edge.messages.rejected";
    public const string BytesAccepted = "mta.edge.bytes.accepted";
    public const string AcceptDuration = "mta.edge.accept.duration";
    public const string ReplyCodeDimension = "ReplyCode";
}
