using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MtaServerless.LocalRunner;

/// <summary>
/// The queue engine (WebJobs, as inside the Functions host) receives messages invisible for a fixed
/// 10 minutes and renews that while a run lasts; host.json's <c>visibilityTimeout</c> is only the wait
/// after a failed run. So a message whose run died with the process comes back 10 minutes later. This
/// policy shortens that receive visibility to the delivery lease when the lease is shorter: a run ends
/// within its lease (PipelineOptionsValidator), so nothing comes back while it runs, and a task held by
/// a dead host comes back as soon as its recipients may be taken. Azure's Functions host offers no such
/// setting; there the 10 minutes stay. It runs before the request is signed, so the signature covers
/// the changed query.
/// </summary>
internal sealed partial class ReceiveVisibilityPolicy(TimeSpan visibility) : HttpPipelineSynchronousPolicy
{
    /// <summary>What the engine asks for when a message is received.</summary>
    public static readonly TimeSpan EngineDefault = TimeSpan.FromMinutes(10);

    private readonly string _seconds = ((int)visibility.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var uri = message.Request.Uri;
        if (message.Request.Method == RequestMethod.Get && uri.Path.EndsWith("/messages", StringComparison.Ordinal) && uri.Query.Contains("visibilitytimeout=", StringComparison.Ordinal))
        {
            uri.Query = VisibilityTimeout().Replace(uri.Query, "visibilitytimeout=" + _seconds);
        }
    }

    [GeneratedRegex(@"visibilitytimeout=\d+")]
    private static partial Regex VisibilityTimeout();
}
