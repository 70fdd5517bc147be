using Microsoft.Azure.Functions.Worker;
using MtaServerless.Core.Documents;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Deliver;

namespace MtaServerless.Functions;

public sealed class DeliverFunction(DeliverStage stage)
{
    [Function(FunctionNames.Deliver)]
    public Task RunAsync(
        [QueueTrigger(StorageNames.DeliveryQueue, Connection = StorageNames.Connection)] string message,
        CancellationToken cancellationToken) =>
        stage.RunAsync(QueueDocuments.DeserializeDelivery(message), cancellationToken);
}
