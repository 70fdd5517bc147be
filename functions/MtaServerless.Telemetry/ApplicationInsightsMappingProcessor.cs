using System.Diagnostics;
using MtaServerless.Core.Telemetry;
using OpenTelemetry;

namespace MtaServerless.Telemetry;

/// <summary>
/// Tells Application Insights what the MTA's spans are, with the exporter's override attributes: a
/// relay attempt is an SMTP dependency on host:port with the next hop's reply codes as its result,
/// and an accepted or refused transaction a request with its reply code. Other exporters see the
/// spans' own tags only.
/// </summary>
internal sealed class ApplicationInsightsMappingProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        switch (data.OperationName)
        {
            case MtaTelemetry.RelaySpan:
                data.SetTag("microsoft.dependency.type", "SMTP")
                    .SetTag("microsoft.dependency.target", $"{data.GetTagItem("server.address")}:{data.GetTagItem("server.port")}")
                    .SetTag("microsoft.dependency.resultCode", data.GetTagItem("smtp.reply_codes") as string ?? "0");
                break;
            case MtaTelemetry.AcceptSpan:
                data.SetTag("microsoft.request.resultCode", Convert.ToString(data.GetTagItem("smtp.reply_code"), System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
