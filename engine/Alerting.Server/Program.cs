using Alerting.Engine.Journal;
using Alerting.Server.Hosting;

// The composition root: ServerConfiguration reads the options (settings file, ALERTING_
// environment variables, command-line flags); ServerHost wires the engine node and the API
// and, on SIGTERM or Ctrl-C, stops the API and then drains and commits the node.
try
{
    var options = ServerConfiguration.Load(args);
    await using var server = await ServerHost.StartAsync(options);
    Console.WriteLine($"alerting: data in {server.DataDirectory}");
    Console.WriteLine($"alerting: gRPC (HTTP/2, plain text) on {server.GrpcAddress}");
    Console.WriteLine($"alerting: JSON API, /livez, /readyz and /metrics (HTTP/1.1) on {server.HttpAddress}");
    Console.WriteLine(options.ApiKeys.Count == 0
        ? "alerting: no API keys configured: every call is allowed (loopback only)"
        : $"alerting: {options.ApiKeys.Count} API key(s) configured");
    await server.WaitForShutdownAsync();
    Console.WriteLine("alerting: stopping (draining and committing)");
    return 0;
}
catch (Exception e) when (e is ServerOptionsException or JournalRecoveryException or InvalidOperationException or FormatException or IOException)
{
    await Console.Error.WriteLineAsync($"alerting: cannot start: {e.Message}");
    return 2;
}
