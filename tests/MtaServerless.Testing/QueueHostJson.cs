using System.Text.Json.Nodes;
using MtaServerless.LocalRunner;

namespace MtaServerless.Testing;

/// <summary>
/// The Functions app's host.json with some <c>extensions.queues</c> settings changed, in a temporary
/// file: the shipped intervals (30 s after a failed run) would make a test wait for minutes.
/// </summary>
public sealed class QueueHostJson : IDisposable
{
    private QueueHostJson(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <param name="queues">Setting name (as in host.json) to its new value.</param>
    public static async Task<QueueHostJson> WriteAsync(IReadOnlyDictionary<string, JsonNode?> queues)
    {
        ArgumentNullException.ThrowIfNull(queues);
        var hostJson = JsonNode.Parse(await File.ReadAllTextAsync(System.IO.Path.Combine(AppContext.BaseDirectory, HostJsonQueueOptions.FileName)))!;
        foreach (var (name, value) in queues)
        {
            hostJson["extensions"]!["queues"]![name] = value;
        }

        var file = new QueueHostJson(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mta-host-{Guid.NewGuid():N}.json"));
        await File.WriteAllTextAsync(file.Path, hostJson.ToJsonString());
        return file;
    }

    public void Dispose() => File.Delete(Path);
}
