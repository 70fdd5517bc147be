using MtaServerless.Cli;

return await CliApp.RunAsync(args, Console.In, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
