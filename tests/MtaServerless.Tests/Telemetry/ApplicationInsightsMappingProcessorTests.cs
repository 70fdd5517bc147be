using System.Diagnostics;
using MtaServerless.Core.Telemetry;
using MtaServerless.Telemetry;

namespace MtaServerless.Tests.Telemetry;

public sealed class ApplicationInsightsMappingProcessorTests
{
    private readonly ApplicationInsightsMappingProcessor _processor = new();

    [Theory]
    [InlineData("250", "250")]
    [InlineData("250,550", "250,550")]
    [InlineData(null, "0")]
    public void RelaySpan_IsAnSmtpDependencyOnHostAndPort_WithTheRepliesAsResult(string? replies, string resultCode)
    {
        using var relay = new Activity(MtaTelemetry.RelaySpan).SetTag("server.address", "mx.example.net").SetTag("server.port", 25).SetTag("smtp.reply_codes", replies);

        _processor.OnEnd(relay);

        Assert.Equal(("SMTP", "mx.example.net:25", resultCode), (relay.GetTagItem("microsoft.dependency.type"), relay.GetTagItem("microsoft.dependency.target"), relay.GetTagItem("microsoft.dependency.resultCode")));
    }

    [Fact]
    public void AcceptSpan_IsARequestWithItsReplyCode()
    {
        using var accept = new Activity(MtaTelemetry.AcceptSpan).SetTag("smtp.reply_code", 550);

        _processor.OnEnd(accept);

        Assert.Equal("550", accept.GetTagItem("microsoft.request.resultCode"));
    }

    [Fact]
    public void OtherSpans_AreLeftAlone()
    {
        using var deliver = new Activity("mta.deliver");

        _processor.OnEnd(deliver);

        Assert.Empty(deliver.TagObjects);
    }
}
