using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using MtaServerless.Functions;
using MtaServerless.Pipeline;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddMtaPipeline(builder.Configuration);
builder.Services.AddMtaFunctionsTelemetry(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
