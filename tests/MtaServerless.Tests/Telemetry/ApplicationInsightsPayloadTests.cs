using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using MtaServerless.Bicep.Tests;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Edge;
using OpenTelemetry.Trace;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// What Application Insights receives from the MTA, read from the Azure Monitor exporter's own payloads only
/// (<see cref="ExportedTelemetryFixture"/>): tables, names, dimensions, operation ids, role names and failures.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class ApplicationInsightsPayloadTests(ExportedTelemetryFixture run)
{
    private static readonly TelemetryContract Contract = TelemetryContract.Load();

    private ExportedTelemetry Local => run.LocalRunner;

    [Fact]
    public void Events_OfTheContract_ArriveAsCustomEventsWithEveryDocumentedDimension()
    {
        foreach (var (name, dimensions) in Contract.Events)
        {
            var events = Local.Events(name).ToList();
            Assert.True(events.Count > 0, $"No {name} reached customEvents.");

            // Exactly the dimensions: not the category the exporter adds to other log records, which the name makes redundant.
            Assert.All(events, e => Assert.Equal(dimensions.Order(StringComparer.Ordinal), e.Dimensions.Keys.Order(StringComparer.Ordinal)));
        }

        var accepted = Assert.Single(Local.Events(TelemetryNames.MessageAccepted, run.MessageId));
        Assert.Equal(("submission", "3", "Tls13", "True"), (accepted.Dimension("Listener"), accepted.Dimension("RecipientCount"), accepted.Dimension("Tls"), accepted.Dimension("Authenticated")));
        var delivered = Assert.Single(Local.Events(TelemetryNames.RecipientDelivered, run.MessageId));
        Assert.Equal(("c***@retry.test", "250", "2.0.0", "2", "none"), (delivered.Dimension("Recipient"), delivered.Dimension("ReplyCode"), delivered.Dimension("EnhancedStatusCode"), delivered.Dimension("Attempt"), delivered.Dimension("Tls")));
        Assert.InRange(long.Parse(delivered.Dimension("LatencyMs")!, CultureInfo.InvariantCulture), 1000, 90_000);
        // A submission, but no domain has a DKIM key here.
        Assert.Equal("no-key", delivered.Dimension("Dkim"));
        var bounced = Assert.Single(Local.Events(TelemetryNames.RecipientBounced, run.MessageId));
        Assert.Equal(("d***@bounce.test", "127.0.0.1", "550", "5.1.1", "1"), (bounced.Dimension("Recipient"), bounced.Dimension("RemoteHost"), bounced.Dimension("ReplyCode"), bounced.Dimension("EnhancedStatusCode"), bounced.Dimension("Attempt")));
        var deferred = Local.Events(TelemetryNames.RecipientDeferred, run.MessageId).ToList();
        Assert.Contains(deferred, d => (d.Dimension("Recipient"), d.Dimension("ReplyCode"), d.Dimension("EnhancedStatusCode"), d.Dimension("Attempt")) == ("c***@retry.test", "451", "4.3.0", "1"));
        var unanswered = deferred.Where(d => d.Dimension("Recipient") == "e***@drop.test").ToList();
        Assert.All(unanswered, d => Assert.Equal(("0", "4.4.2"), (d.Dimension("ReplyCode"), d.Dimension("EnhancedStatusCode"))));
        Assert.All(deferred, d => Assert.True(DateTimeOffset.TryParse(d.Dimension("NextAttemptUtc"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)));
        var throttled = Assert.Single(Local.Events(TelemetryNames.AuthThrottled));
        Assert.Equal(("address", ExportedTelemetryFixture.GuesserAddress, ExportedTelemetryFixture.GuesserAddress, "submission"), (throttled.Dimension("Scope"), throttled.Dimension("Key"), throttled.Dimension("ClientAddress"), throttled.Dimension("Listener")));
        var limited = Assert.Single(Local.Events(TelemetryNames.UserLimitReached));
        Assert.Equal(("l***@example.com", "RecipientsPerDay", "1", "submission"), (limited.Dimension("User"), limited.Dimension("Limit"), limited.Dimension("Value"), limited.Dimension("Listener")));
        var expired = Assert.Single(Local.Events(TelemetryNames.RecipientExpired, run.MessageId));
        Assert.Equal(("e***@drop.test", "0", (unanswered.Count + 1).ToString(CultureInfo.InvariantCulture)), (expired.Dimension("Recipient"), expired.Dimension("ReplyCode"), expired.Dimension("Attempt")));
    }

    [Fact]
    public void Recipients_AreMaskedOrHashedAsConfigured_AndNoSecretIsExported()
    {
        var hashed = new RecipientAddressProtector(Options.Create(new TelemetryOptions { RecipientAddresses = RecipientAddressMode.Hashed, RecipientHashKey = ExportedTelemetryFixture.HashKey }))
            .Protect(ExportedTelemetryFixture.WorkerRecipient);
        var deployed = run.Deployed.Events(TelemetryNames.RecipientDelivered).ToList();

        Assert.Equal(ExportedTelemetryFixture.WorkerMessages, deployed.Count);
        Assert.All(deployed, e => Assert.Equal(hashed, e.Dimension("Recipient")));
        var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{ExportedTelemetryFixture.User}\0{ExportedTelemetryFixture.Password}"));
        foreach (var payload in new[] { Local.Payload, run.Deployed.Payload })
        {
            foreach (var secret in new[]
            {
                ExportedTelemetryFixture.Password, plain, ExportedTelemetryFixture.Subject, ExportedTelemetryFixture.Body, ExportedTelemetryFixture.User,
                ExportedTelemetryFixture.RetriedRecipient, ExportedTelemetryFixture.RefusedRecipient, ExportedTelemetryFixture.UnansweredRecipient, ExportedTelemetryFixture.WorkerRecipient, ExportedTelemetryFixture.SweptRecipient,
            })
            {
                Assert.DoesNotContain(secret, payload, StringComparison.OrdinalIgnoreCase);
            }
        }

        // The scan read the events and the logs, where the addresses are masked.
        Assert.Contains("d***@bounce.test", Local.Payload, StringComparison.Ordinal);
        Assert.Contains("authenticated as a***@example.com", Local.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public void OneMessage_IsOneOperation_FromTheEdgesRequestThroughIngestDeliverAndTheirDependenciesToTheEvents()
    {
        var accept = Assert.Single(Local.Requests(MtaTelemetry.AcceptSpan), r => r.Dimension(MtaTelemetry.MessageIdTag) == run.MessageId);
        var operation = Local.Rows.Where(r => r.OperationId == accept.OperationId).ToList();
        var ingest = Assert.Single(operation, r => r.Name == "mta.ingest" && r.Dimension(MtaTelemetry.MessageIdTag) == run.MessageId);
        var delivers = operation.Where(r => r.Name == "mta.deliver" && r.Dimension(MtaTelemetry.MessageIdTag) == run.MessageId).ToList();
        var relays = operation.Where(r => r.Table == "dependencies").ToList();

        Assert.Null(accept["operation_ParentId"]);
        Assert.Equal(accept["id"], ingest["operation_ParentId"]);
        Assert.True(delivers.Count >= 3, "The first attempt (every next hop, from Ingest), and the retries of the deferred ones.");
        Assert.Single(delivers, d => d.Dimension("mta.attempt") == "1");
        Assert.All(delivers, d => Assert.Equal(ingest["id"], d["operation_ParentId"]));
        Assert.All(relays, r => Assert.Equal(("smtp.relay", "SMTP"), (r.Name, r["type"])));
        Assert.All(relays, r => Assert.Contains(operation, d => d.Name == "mta.deliver" && d["id"] == r["operation_ParentId"]));
        Assert.Equal(Local.Table("customEvents").Count(e => e.Dimension("MessageId") == run.MessageId), operation.Count(r => r.Table == "customEvents" && r.Dimension("MessageId") == run.MessageId));

        // The DSNs (the bounce and the expiry) are messages of their own in the same operation, under the message's Ingest.
        var dsns = operation.Where(r => r.Name == "mta.ingest" && r != ingest).ToList();
        Assert.Equal(2, dsns.Count);
        Assert.All(dsns, d => Assert.Equal(ingest["id"], d["operation_ParentId"]));
        Assert.All(dsns, d => Assert.Single(operation, e => e.Name == TelemetryNames.RecipientDelivered && e.Dimension("MessageId") == d.Dimension(MtaTelemetry.MessageIdTag)));
    }

    [Fact]
    public void OneMessage_IsOneOperation_AcrossTheEdgeAndTheFunctionsWorker()
    {
        string?[] items = [MtaTelemetry.AcceptSpan, TelemetryNames.MessageAccepted, "mta.ingest", "mta.deliver", MtaTelemetry.RelaySpan, TelemetryNames.RecipientDelivered];
        var accepts = run.Deployed.Requests(MtaTelemetry.AcceptSpan).ToList();

        Assert.Equal(ExportedTelemetryFixture.WorkerMessages, accepts.Count);
        foreach (var accept in accepts)
        {
            var operation = run.Deployed.Rows.Where(r => r.OperationId == accept.OperationId && r.Table != "traces").ToList();
            Assert.Equal(items, operation.OrderBy(r => Array.IndexOf(items, r.Name)).Select(r => r.Name));
            Assert.Equal([ExportedTelemetryFixture.FunctionAppName, EdgeServiceCollectionExtensions.TelemetryRoleName], operation.Select(r => r["cloud_RoleName"]).Distinct().Order(StringComparer.Ordinal));
            Assert.All(operation.Where(r => r.Table is "requests" or "dependencies"), r => Assert.Equal("True", r["success"]));
        }
    }

    [Fact]
    public void Metrics_TheWorkbookAndAlertsRead_ArriveAsCustomMetricsWithTheirDimensions()
    {
        foreach (var (name, dimensions) in Contract.Metrics)
        {
            var points = Local.Table("customMetrics").Where(m => m.Name == name).ToList();
            Assert.True(points.Count > 0, $"No {name} reached customMetrics.");
            Assert.All(points, p => Assert.Equal(dimensions.Order(StringComparer.Ordinal), p.Dimensions.Keys.Order(StringComparer.Ordinal)));
        }

        var depth = Latest(TelemetryNames.QueueDepth, TelemetryNames.QueueDimension);
        Assert.Equal(StorageNames.Queues.Order(StringComparer.Ordinal), depth.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, depth[StorageNames.InboundQueue + StorageNames.PoisonSuffix]);
        Assert.InRange(Latest(TelemetryNames.QueueOldestAge, TelemetryNames.QueueDimension)[StorageNames.InboundQueue + StorageNames.PoisonSuffix], 0, 60);
        Assert.Equal(new Dictionary<string, double> { ["mx"] = 0, ["submission"] = 0 }, Latest(TelemetryNames.EdgeConnectionsActive, TelemetryNames.ListenerDimension));
    }

    [Fact]
    public void RoleNames_AreTheEdgesAndTheFunctionAppsAsDeployed_AndTheRunnersLocally()
    {
        var edgeNames = new[] { MtaTelemetry.AcceptSpan, "smtp.session", TelemetryNames.MessageAccepted, TelemetryNames.EdgeConnectionsActive };
        var (edge, functions) = (run.Deployed.Rows.Where(r => edgeNames.Contains(r.Name)).ToList(), run.Deployed.Rows.Where(r => r.Name is "mta.ingest" or "mta.deliver" or TelemetryNames.RecipientDelivered or TelemetryNames.QueueDepth).ToList());

        Assert.All(Local.Rows, r => Assert.Equal(LocalRunner.LocalRunnerHost.TelemetryRoleName, r["cloud_RoleName"]));
        Assert.NotEmpty(edge);
        Assert.All(edge, r => Assert.Equal((EdgeServiceCollectionExtensions.TelemetryRoleName, ExportedTelemetryFixture.EdgeInstance), (r["cloud_RoleName"], r["cloud_RoleInstance"])));
        Assert.NotEmpty(functions);
        Assert.All(functions, r => Assert.Equal(ExportedTelemetryFixture.FunctionAppName, r["cloud_RoleName"]));
    }

    [Fact]
    public void EdgeRoleName_IsTheContracts() =>
        Assert.Equal(EdgeServiceCollectionExtensions.TelemetryRoleName, Contract.EdgeRoleName);

    [Fact]
    public void Failures_AreUnsuccessful_WithTheReplyCodeAsResultCode()
    {
        var accepted = Assert.Single(Local.Requests(MtaTelemetry.AcceptSpan), r => r.Dimension(MtaTelemetry.MessageIdTag) == run.MessageId);
        var relays = Local.Rows.Where(r => r.OperationId == accepted.OperationId && r.Name == MtaTelemetry.RelaySpan).Select(r => (Code: r["resultCode"], Success: r["success"])).ToList();
        var lost = Local.Rows.Where(r => r.OperationId == run.LostTraceId.ToHexString() && r.Table == "requests").ToList();

        Assert.Equal(("250", "True"), (accepted["resultCode"], accepted["success"]));
        Assert.Contains(("451", "False"), relays);
        Assert.Contains(("550", "False"), relays);
        Assert.Contains(("0", "False"), relays);
        Assert.Contains(("250", "True"), relays);
        Assert.All(relays, r => Assert.Equal(r.Code == "250", r.Success == "True"));
        var refused = Assert.Single(Local.Requests(MtaTelemetry.AcceptSpan), r => r["resultCode"] != "250");
        Assert.Equal(("550", "False"), (refused["resultCode"], refused["success"]));
        Assert.Equal(["mta.deliver", "mta.ingest"], lost.Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.All(lost, r => Assert.Equal(("False", run.LostMessageId), (r["success"], r.Dimension(MtaTelemetry.MessageIdTag))));
        Assert.All(Local.Requests("mta.ingest").Concat(Local.Requests("mta.deliver")).Where(r => r.OperationId == accepted.OperationId), r => Assert.Equal("True", r["success"]));
    }

    /// <summary>
    /// At the default sampling, which keeps few traces, a failure is exported all the same: the refused transaction, each
    /// relay attempt a next hop refused or deferred with the Deliver and Ingest runs it ran under, and the runs that threw,
    /// with every event. Of the rest (sessions, successful runs, the DSN's delivery, Information logs) only the traces the
    /// ratio samples are exported.
    /// </summary>
    [Fact]
    public void Failures_AtTheDefaultSampling_AreExportedWithTheRunsTheyRanUnder_AndSuccessesOnlyInSampledTraces()
    {
        var exported = run.DeployedFailures;
        var spans = exported.Rows.Where(r => r.Table is "requests" or "dependencies").ToList();
        var sampler = new TraceIdRatioBasedSampler(new TelemetryOptions().TraceSamplingRatio);
        bool Sampled(string? operationId) =>
            sampler.ShouldSample(new SamplingParameters(default, ActivityTraceId.CreateFromString(operationId), "span", ActivityKind.Internal)).Decision == SamplingDecision.RecordAndSample;
        ApplicationInsightsRow ParentOf(ApplicationInsightsRow span) => Assert.Single(spans, s => s["id"] == span["operation_ParentId"]);

        var refused = Assert.Single(exported.Requests(MtaTelemetry.AcceptSpan), r => r["resultCode"] == "550");
        Assert.Equal("False", refused["success"]);
        foreach (var code in new[] { "550", "451" })
        {
            var relay = Assert.Single(spans, r => r.Name == MtaTelemetry.RelaySpan && r["resultCode"] == code);
            var deliver = ParentOf(relay);
            var ingest = ParentOf(deliver);
            Assert.Equal(("False", "mta.deliver", "mta.ingest"), (relay["success"], deliver.Name, ingest.Name));
            Assert.Equal(deliver.Dimension(MtaTelemetry.MessageIdTag), ingest.Dimension(MtaTelemetry.MessageIdTag));
        }

        Assert.False(Sampled(run.DeployedLostTraceId.ToHexString()));
        var lost = exported.Table("requests").Where(r => r.OperationId == run.DeployedLostTraceId.ToHexString()).ToList();
        Assert.Contains(lost, r => r.Name == "mta.ingest");
        Assert.All(lost, r => Assert.Equal(("False", run.DeployedLostMessageId), (r["success"], r.Dimension(MtaTelemetry.MessageIdTag))));

        // Anything else exported failed, ran a failure, or is in a sampled trace.
        Assert.All(spans, s => Assert.True(
            s["success"] == "False" || spans.Any(c => c["operation_ParentId"] == s["id"]) || Sampled(s.OperationId),
            $"{s} neither failed, nor ran a failure, nor is in a sampled trace."));
        Assert.All(exported.Table("traces").Where(t => t["severityLevel"] == "Information" && t.OperationId is not null), t => Assert.True(Sampled(t.OperationId), $"{t} is exported although its trace is not sampled."));

        // Every event, sampled or not: the two accepted messages, the refusal, the deferral and the DSN's delivery.
        Assert.Equal(2, exported.Events(TelemetryNames.MessageAccepted).Count());
        Assert.Single(exported.Events(TelemetryNames.RecipientBounced));
        Assert.Single(exported.Events(TelemetryNames.RecipientDeferred));
        Assert.Single(exported.Events(TelemetryNames.RecipientDelivered));
    }

    private Dictionary<string, double> Latest(string metric, string dimension) =>
        Local.Table("customMetrics").Where(m => m.Name == metric)
            .GroupBy(m => m.Dimension(dimension)!)
            .ToDictionary(g => g.Key, g => double.Parse(g.MaxBy(m => m["timestamp"])!["value"]!, CultureInfo.InvariantCulture), StringComparer.Ordinal);
}
