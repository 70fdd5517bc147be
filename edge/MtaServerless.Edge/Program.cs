using Microsoft.Extensions.Hosting;
using MtaServerless.Edge;
using MtaServerless.Telemetry;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddMtaEdge(builder.Configuration);
builder.Services.AddMtaOpenTelemetry(builder.Configuration, EdgeServiceCollectionExtensions.TelemetryRoleName);
await builder.Build().RunAsync().ConfigureAwait(false);
