using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MtaServerless.Pipeline.Authentication.Spf;

/// <summary>
/// check_host() of RFC 7208 on <see cref="AuthenticationDns"/>. A whole check, includes and redirects with it, stops
/// with temperror after <see cref="PipelineOptions.DnsTimeoutsPerResolution"/> DNS timeouts, as an MX resolution does:
/// by default the 20 seconds RFC 7208 4.6.4 asks a limit to allow, and the message's function never waits longer on a
/// sender's slow name servers.
/// </summary>
public sealed partial class SpfVerifier : ISpfVerifier
{
    private readonly AuthenticationDns _dns;
    private readonly ILogger<SpfVerifier> _logger;
    private readonly TimeSpan _budget;

    public SpfVerifier(AuthenticationDns dns, IOptions<PipelineOptions> options, ILogger<SpfVerifier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dns = dns;
        _logger = logger;
        _budget = options.Value.DnsTimeout * PipelineOptions.DnsTimeoutsPerResolution;
    }

    public async Task<SpfResult> CheckAsync(IPAddress client, string helo, string mailFrom, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(helo);
        ArgumentNullException.ThrowIfNull(mailFrom);
        // A client on an IPv4-mapped address is an IPv4 client: ip4, A queries, in-addr (RFC 7208 5.6 compares like with like).
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        var identity = SpfIdentity.From(helo, mailFrom);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_budget);
        SpfOutcome outcome;
        try
        {
            outcome = await new SpfEvaluation(_dns, address, identity, budget.Token).RunAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogOverBudget(_logger, identity.Domain, _budget);
            outcome = new SpfOutcome(AuthVerdict.TempError, $"no answer within {_budget.TotalSeconds:0.#} s");
        }

        LogResult(_logger, outcome.Verdict, identity.Domain, identity.FromHelo, address, outcome.Reason);
        return new SpfResult(outcome.Verdict, identity.Domain, identity.FromHelo, outcome.Reason);
    }

    [LoggerMessage(EventId = 3741, Level = LogLevel.Debug, Message = "SPF {Verdict} for {Domain} (HELO identity: {FromHelo}) from {Client}: {Reason}")]
    private static partial void LogResult(ILogger logger, AuthVerdict verdict, string domain, bool fromHelo, IPAddress client, string reason);

    [LoggerMessage(EventId = 3742, Level = LogLevel.Warning, Message = "The SPF check of {Domain} took longer than {Budget}: temperror")]
    private static partial void LogOverBudget(ILogger logger, string domain, TimeSpan budget);
}
