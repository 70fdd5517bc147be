using MtaServerless.Benchmarks;

// Driven by tests/bench/pipeline-benchmark.sh (see tests/bench/README.md):
//   MtaServerless.Benchmarks [--Warmup 2000] [--Runs 3] [--Clients 20] [--Messages 1000] [--MultiMessages 400]
//                            [--MultiRecipients 10] [--IdleMessages 20] [--Relays 100] [--MemoryWarmup 500]
//       the driver: Azurite, the sink and the MailKit clients, with the MTA in a child process;
//   MtaServerless.Benchmarks host
//       that child: the edge and the functions on the WebJobs queue engine, configured from the environment.
return args.FirstOrDefault() == HostProtocol.Argument ? await MtaHost.RunAsync() : await Driver.RunAsync(args);
