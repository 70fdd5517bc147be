using Microsoft.Extensions.Hosting;
using MtaServerless.Edge;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddMtaEdge(builder.Configuration);
builder.Services.AddMtaEdgeTelemetry(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
