using System.Globalization;
using System.Text.Json;
using Azure.Storage.Queues;
using Microsoft.Azure.WebJobs.Host;
using Microsoft.Extensions.Configuration;

namespace MtaServerless.LocalRunner;

/// <summary>
/// Applies the Functions app's <c>host.json</c> <c>extensions.queues</c> settings to the WebJobs queue
/// engine, so polling, batch size, visibility on failure, dequeue count and encoding match Azure; then,
/// as the Functions host does with app settings, those of <see cref="OverrideSection"/> on top.
/// </summary>
public static class HostJsonQueueOptions
{
    public const string FileName = "host.json";

    /// <summary>The configuration path of the Functions host's overrides (<c>AzureFunctionsJobHost__extensions__queues__*</c> as app settings).</summary>
    public const string OverrideSection = "AzureFunctionsJobHost:extensions:queues";

    public static void Apply(string hostJsonPath, IConfiguration configuration, QueuesOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using (var document = JsonDocument.Parse(File.ReadAllText(hostJsonPath), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }))
        {
            if (document.RootElement.TryGetProperty("extensions", out var extensions) && extensions.TryGetProperty("queues", out var queues))
            {
                foreach (var setting in queues.EnumerateObject())
                {
                    settings[setting.Name] = setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString()! : setting.Value.GetRawText();
                }
            }
        }

        foreach (var setting in configuration.GetSection(OverrideSection).GetChildren().Where(s => s.Value is not null))
        {
            settings[setting.Key] = setting.Value!;
        }

        foreach (var (name, value) in settings)
        {
            switch (name.ToUpperInvariant())
            {
                case "BATCHSIZE":
                    options.BatchSize = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "NEWBATCHTHRESHOLD":
                    options.NewBatchThreshold = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "MAXPOLLINGINTERVAL":
                    options.MaxPollingInterval = TimeSpan.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "VISIBILITYTIMEOUT":
                    options.VisibilityTimeout = TimeSpan.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "MAXDEQUEUECOUNT":
                    options.MaxDequeueCount = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "MESSAGEENCODING":
                    options.MessageEncoding = Enum.Parse<QueueMessageEncoding>(value, ignoreCase: true);
                    break;
                default:
                    throw new InvalidOperationException($"{hostJsonPath}: queue setting '{name}' is not known to the local runner.");
            }
        }
    }
}
