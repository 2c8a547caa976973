using Alerting.Server.Hosting;

// The composition root: configuration from an optional settings file, ALERTING_ environment
// variables and command-line flags (later wins), bound into ServerOptions; ServerHost wires
// the engine node and the API.
var switches = new Dictionary<string, string>
{
    ["--data-dir"] = nameof(ServerOptions.DataDirectory),
    ["--bind"] = nameof(ServerOptions.BindAddress),
    ["--grpc-port"] = nameof(ServerOptions.GrpcPort),
    ["--http-port"] = nameof(ServerOptions.HttpPort),
    ["--node-id"] = nameof(ServerOptions.NodeId),
    ["--settings"] = "Settings",
};
var early = new ConfigurationBuilder().AddEnvironmentVariables("ALERTING_").AddCommandLine(args, switches).Build();
var configuration = new ConfigurationBuilder();
if (early["Settings"] is { Length: > 0 } settingsFile)
{
    configuration.AddJsonFile(Path.GetFullPath(settingsFile), optional: false);
}

var options = new ServerOptions();
try
{
    configuration.AddEnvironmentVariables("ALERTING_").AddCommandLine(args, switches).Build().Bind(options);
    await using var server = await ServerHost.StartAsync(options);
    Console.WriteLine($"alerting: data in {server.DataDirectory}");
    Console.WriteLine($"alerting: gRPC (HTTP/2) on {server.GrpcAddress}");
    Console.WriteLine($"alerting: JSON API, /healthz and /metrics (HTTP/1.1) on {server.HttpAddress}");
    Console.WriteLine(options.ApiKeys.Count == 0
        ? "alerting: no API keys configured: every call is allowed (loopback only)"
        : $"alerting: {options.ApiKeys.Count} API key(s) configured");
    await server.WaitForShutdownAsync();
    Console.WriteLine("alerting: stopping (draining and committing)");
    return 0;
}
catch (Exception e) when (e is ServerOptionsException or InvalidOperationException or FormatException or IOException)
{
    await Console.Error.WriteLineAsync($"alerting: cannot start: {e.Message}");
    return 2;
}
