using Microsoft.Extensions.Logging;
using MtaServerless.Core.Spool;

namespace MtaServerless.Edge.Sessions;

/// <summary>What every session of one edge shares.</summary>
internal sealed class SmtpServerContext(EdgeOptions options, IMessageSpool spool, TimeProvider time, ILogger logger)
{
    public EdgeOptions Options { get; } = options;

    public IMessageSpool Spool { get; } = spool;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;
}
