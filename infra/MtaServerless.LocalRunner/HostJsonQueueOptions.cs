using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Azure.WebJobs.Host;

namespace MtaServerless.LocalRunner;

/// <summary>
/// Applies the Functions app's <c>host.json</c> <c>extensions.queues</c> settings to the WebJobs queue
/// engine, so polling, batch size, visibility on failure, dequeue count and encoding match Azure.
/// </summary>
public static class HostJsonQueueOptions
{
    public const string FileName = "host.json";

    public static void Apply(string hostJsonPath, QueuesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var document = JsonDocument.Parse(File.ReadAllText(hostJsonPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        if (!document.RootElement.TryGetProperty("extensions", out var extensions) || !extensions.TryGetProperty("queues", out var queues))
        {
            return;
        }

        foreach (var setting in queues.EnumerateObject())
        {
            switch (setting.Name.ToUpperInvariant())
            {
                case "BATCHSIZE":
                    options.BatchSize = setting.Value.GetInt32();
                    break;
                case "NEWBATCHTHRESHOLD":
                    options.NewBatchThreshold = setting.Value.GetInt32();
                    break;
                case "MAXPOLLINGINTERVAL":
                    options.MaxPollingInterval = TimeSpanValue(setting);
                    break;
                case "VISIBILITYTIMEOUT":
                    options.VisibilityTimeout = TimeSpanValue(setting);
                    break;
                case "MAXDEQUEUECOUNT":
                    options.MaxDequeueCount = setting.Value.GetInt32();
                    break;
                case "MESSAGEENCODING":
                    options.MessageEncoding = Enum.Parse<QueueMessageEncoding>(setting.Value.GetString() ?? "base64", ignoreCase: true);
                    break;
                default:
                    throw new InvalidOperationException($"{hostJsonPath}: queue setting '{setting.Name}' is not known to the local runner.");
            }
        }
    }

    private static TimeSpan TimeSpanValue(JsonProperty setting) =>
        TimeSpan.Parse(setting.Value.GetString() ?? throw new InvalidOperationException($"host.json: '{setting.Name}' must be a TimeSpan string."), CultureInfo.InvariantCulture);
}
