using OpenTelemetry.Trace;

namespace MtaServerless.Telemetry;

/// <summary>
/// Keeps a fixed share of traces, chosen by trace id (so the edge and the Function App decide alike for one message),
/// and records the other spans without exporting them. A head sampler decides as a span starts, before it is known
/// whether the span fails; recording the rest lets <see cref="FailedSpanProcessor"/> export a failure at its end, and
/// lets the Azure Monitor exporter's standard metrics count every request and dependency, sampled or not.
/// </summary>
internal sealed class RecordEverySpanSampler(double ratio) : Sampler
{
    private static readonly SamplingResult RecordOnly = new(SamplingDecision.RecordOnly);
    private static readonly SamplingResult RecordAndSample = new(SamplingDecision.RecordAndSample);
    private readonly TraceIdRatioBasedSampler _share = new(ratio);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        _share.ShouldSample(samplingParameters).Decision == SamplingDecision.Drop ? RecordOnly : RecordAndSample;
}
