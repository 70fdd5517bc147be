using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Core.Pipeline;

namespace MtaServerless.CrashHost;

/// <summary>
/// The queue engine (WebJobs, as inside the Functions host) receives messages invisible for a fixed
/// 10 minutes and renews that while a run lasts; host.json's <c>visibilityTimeout</c> is only the wait
/// after a failed run. So a message whose run died with the process comes back 10 minutes later. This
/// policy shortens that receive visibility, so a crash test sees the redelivery in seconds. It runs
/// before the request is signed, so the signature covers the changed query.
/// </summary>
internal sealed partial class ReceiveVisibilityPolicy(TimeSpan visibility) : HttpPipelineSynchronousPolicy
{
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
