using System.Globalization;
using MtaServerless.Bicep.Tests;
using MtaServerless.Core.Telemetry;
using Xunit.Abstractions;

namespace MtaServerless.Tests.Telemetry;

/// <summary>
/// What a delivered message costs in telemetry, from the envelopes the edge and the Functions worker exported for
/// single-recipient 10 KiB messages delivered at the first attempt (<see cref="ExportedTelemetryFixture"/>), with
/// every trace kept and with every trace sampled out; the default ratio's cost lies between, in proportion. README's
/// cost table takes its figure from here.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryVolumeTests(ExportedTelemetryFixture run, ITestOutputHelper output)
{
    /// <summary>Uncompressed envelope bytes of one delivered message with its whole trace: README says about 6.8 KB.</summary>
    private const int BytesPerMessageBudget = 7_500;

    /// <summary>The target for a delivered message at the default sampling: at most 1.5 KB.</summary>
    private const int DefaultBytesPerMessageBudget = 1_500;

    [Fact]
    public void DeliveredMessage_WithEveryTraceKept_ExportsAboutSevenKilobytes()
    {
        var perMessage = PerMessage(run.Deployed);
        Report("every trace kept", run.Deployed);

        Assert.Equal(
            [("customEvents", 2), ("dependencies", 1), ("requests", 4), ("traces", 2)],
            perMessage.GroupBy(r => r.Table).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count() / ExportedTelemetryFixture.WorkerMessages)));
        Assert.InRange(ExportedTelemetry.Bytes(perMessage) / ExportedTelemetryFixture.WorkerMessages, 1, BytesPerMessageBudget);
    }

    [Fact]
    public void TracesSampledOut_LeaveNoRequestDependencyOrInformationLog_AndEveryEventAndContractMetric()
    {
        var contract = TelemetryContract.Load();
        var sampled = run.DeployedSampledOut;
        Report("traces sampled out", sampled);

        Assert.Empty(sampled.Table("requests"));
        Assert.Empty(sampled.Table("dependencies"));
        Assert.Equal(["customEvents"], PerMessage(sampled).Select(r => r.Table).Distinct());
        Assert.Equal(ExportedTelemetryFixture.WorkerMessages, sampled.Events(TelemetryNames.MessageAccepted).Count());
        Assert.Equal(ExportedTelemetryFixture.WorkerMessages, sampled.Events(TelemetryNames.RecipientDelivered).Count());
        Assert.All(contract.Metrics.Keys, m => Assert.Contains(sampled.Table("customMetrics"), r => r.Name == m));
        Assert.True(ExportedTelemetry.Bytes(PerMessage(sampled)) < ExportedTelemetry.Bytes(PerMessage(run.Deployed)) / 4);
    }

    /// <summary>
    /// The default keeps a share of whole traces, chosen by trace id: what a message costs on average is what it costs
    /// sampled out plus that share of what its trace (spans and Information logs) adds. Measured at the two ends rather
    /// than at the default itself, where four random trace ids would make the figure a lottery.
    /// </summary>
    [Fact]
    public void DeliveredMessage_AtTheDefaultSampling_ExportsAtMostOneAndAHalfKilobytes()
    {
        var ratio = new TelemetryOptions().TraceSamplingRatio;
        var sampledOut = ExportedTelemetry.Bytes(PerMessage(run.DeployedSampledOut)) / (double)ExportedTelemetryFixture.WorkerMessages;
        var whole = ExportedTelemetry.Bytes(PerMessage(run.Deployed)) / (double)ExportedTelemetryFixture.WorkerMessages;
        var perMessage = sampledOut + (ratio * (whole - sampledOut));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"default (Telemetry:TraceSamplingRatio={ratio}): per delivered message {perMessage:F0} bytes"));

        Assert.InRange(perMessage, 1, DefaultBytesPerMessageBudget);
    }

    [Fact]
    public void Exporter_SendsUncompressedJson_AndStoresNothingOfflineWhenAnswered()
    {
        foreach (var exported in new[] { run.LocalRunner, run.Deployed, run.DeployedSampledOut, run.DeployedFailures })
        {
            Assert.Equal(0, exported.CompressedRequests);
            Assert.Empty(exported.OfflineFiles);
        }
    }

    /// <summary>
    /// What the messages caused: every item of an operation (a session's or a transaction's trace) but the metrics,
    /// which are exported per interval whatever the traffic, and the hosts' start and stop logs.
    /// </summary>
    private static List<ApplicationInsightsRow> PerMessage(ExportedTelemetry exported) =>
        [.. exported.Rows.Where(r => r.Table != "customMetrics" && r.OperationId is not null)];

    private void Report(string setting, ExportedTelemetry exported)
    {
        var perMessage = PerMessage(exported);
        var metrics = exported.Table("customMetrics").ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{setting}: per delivered message {ExportedTelemetry.Bytes(perMessage) / ExportedTelemetryFixture.WorkerMessages} bytes, {ExportedTelemetry.CompressedBytes(perMessage) / ExportedTelemetryFixture.WorkerMessages} gzip-compressed"));
        foreach (var table in perMessage.GroupBy(r => r.Table).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {table.Key}: {table.Count() / (double)ExportedTelemetryFixture.WorkerMessages} items, {ExportedTelemetry.Bytes(table) / ExportedTelemetryFixture.WorkerMessages} bytes"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  per export of the two hosts' metrics: {metrics.Count} items, {ExportedTelemetry.Bytes(metrics)} bytes, {ExportedTelemetry.CompressedBytes(metrics)} gzip-compressed"));
    }
}
