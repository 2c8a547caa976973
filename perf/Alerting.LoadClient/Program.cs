using System.Diagnostics;
using System.Globalization;
using Alerting.LoadClient;
using Grpc.Net.Client;

// A small load client for M1 (ingest throughput and ack latency) and M2 (alert latency) against
// a running server on loopback. The full perf harness is its own issue; this is the minimum
// that measures the two figures honestly (schedule-driven sends, HDR histograms).
//
//   dotnet run -c Release --project perf/Alerting.LoadClient -- m1 [--server URL] [--seconds 20] [--streams 4] [--rate 1000000]
//   dotnet run -c Release --project perf/Alerting.LoadClient -- m2 [--server URL] [--samples 2000]
var options = LoadOptions.Parse(args);
using var channel = GrpcChannel.ForAddress(options.Server, new GrpcChannelOptions
{
    MaxSendMessageSize = 16 * 1024 * 1024,
    MaxReceiveMessageSize = 16 * 1024 * 1024,
});

var stopwatch = Stopwatch.StartNew();
var report = options.Scenario switch
{
    "m1" => await IngestScenario.RunAsync(channel, options),
    "m2" => await AlertLatencyScenario.RunAsync(channel, options),
    _ => throw new ArgumentException($"unknown scenario '{options.Scenario}': use m1 or m2"),
};
Console.WriteLine(report);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(ran {stopwatch.Elapsed.TotalSeconds:F1} s)"));
