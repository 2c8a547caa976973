// The perf harness CLI (issue 11): scenarios of BENCHMARKS.md against real server processes.
//
//   dotnet run -c Release --project perf/Alerting.Perf -- ingest --rate 300000 --seconds 20
//   dotnet run -c Release --project perf/Alerting.Perf -- all --json run.json
//   dotnet run -c Release --project perf/Alerting.Perf -- compare before.json after.json
return await Alerting.Perf.PerfApp.RunAsync(args);
