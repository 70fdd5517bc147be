using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using MtaServerless.Pipeline;
using MtaServerless.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddMtaPipeline(builder.Configuration);

// The worker's integration names the role after the app and keeps the host from sending the worker's logs a second time.
builder.Services.AddMtaOpenTelemetry(builder.Configuration, builder.Configuration["WEBSITE_SITE_NAME"] ?? "mta-functions", otel => otel.UseFunctionsWorkerDefaults());
await builder.Build().RunAsync().ConfigureAwait(false);
