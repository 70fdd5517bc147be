using Microsoft.Azure.Functions.Worker;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Ingest;

namespace MtaServerless.Functions;

public sealed class IngestFunction(IngestStage stage)
{
    [Function(FunctionNames.Ingest)]
    public Task RunAsync(
        [QueueTrigger(StorageNames.InboundQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        stage.RunAsync(QueueDocuments.DeserializeInbound(message), cancellationToken);
}
