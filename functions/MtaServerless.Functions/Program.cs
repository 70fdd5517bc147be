using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using MtaServerless.Pipeline;

var builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddMtaPipeline(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
