using Alerting.Server.Hosting;

// The composition root: ServerConfiguration reads the options (settings file, ALERTING_
// environment variables, command-line flags); ServerHost wires the engine node and the API
// and, on SIGTERM or Ctrl-C, stops the API and then drains and commits the node.
// A refusal to start prints one line, "alerting: cannot start: <what, which file, what to do>",
// and exits with a StartupFailure code (README "Configuration", docs/reliability.md).
if (ConfigurationCheck.Requested(args))
{
    return ConfigurationCheck.Run(args, Console.Out, Console.Error);
}

ServerOptions options;
try
{
    options = ServerConfiguration.Load(args);
    options.Validate();
}
#pragma warning disable CA1031 // Every refusal to start becomes one line and an exit code, never a stack trace.
catch (Exception e)
#pragma warning restore CA1031
{
    await Console.Error.WriteLineAsync($"alerting: cannot start: bad options: {StartupFailure.Describe(e)}");
    return StartupFailure.BadOptions;
}

// A stop asked for while a host is already stopping to restart in place (resync) is consumed by that
// host's lifetime; remember it here so the process stops instead of starting again. These handlers
// only record: the host's own lifetime still turns SIGTERM and Ctrl-C into a graceful stop.
var stopRequested = 0;
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => Volatile.Write(ref stopRequested, 1));
using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, _ => Volatile.Write(ref stopRequested, 1));

while (true)
{
    ServerHost server;
    try
    {
        server = await ServerHost.StartAsync(options);
    }
#pragma warning disable CA1031 // Every refusal to start becomes one line and an exit code, never a stack trace.
    catch (Exception e)
#pragma warning restore CA1031
    {
        var (code, line) = StartupFailure.Classify(e, options.DataDirectory);
        await Console.Error.WriteLineAsync($"alerting: cannot start: {line}");
        return code;
    }

    await using (server)
    {
        var recovery = server.Recovery ?? new Alerting.Engine.Pipeline.RecoveryReport(0, 0, []);
        if (recovery.DiscardedTo is { } discarded)
        {
            Console.WriteLine(options.ForceEmpty
                ? $"alerting: WARNING: --force-empty: started EMPTY; the previous data was moved to {discarded}"
                : $"alerting: replication: started empty to catch up from the primary; the previous data was moved to {discarded}");
        }

        foreach (var skipped in recovery.RejectedSnapshots)
        {
            Console.WriteLine($"alerting: warning: recovery skipped {skipped}");
        }

        foreach (var temp in recovery.RemovedTempFiles)
        {
            Console.WriteLine($"alerting: removed {temp}, left by an interrupted snapshot write");
        }

        Console.WriteLine($"alerting: data in {server.DataDirectory} (snapshot at {recovery.SnapshotIndex}, {recovery.EntriesReplayed} entries replayed)");
        Console.WriteLine($"alerting: gRPC (HTTP/2, plain text) on {server.GrpcAddress}");
        Console.WriteLine($"alerting: JSON API, status page (/), /livez, /readyz and /metrics (HTTP/1.1) on {server.HttpAddress}");
        Console.WriteLine(options.ApiKeys.Count == 0
            ? "alerting: no API keys configured: every call is allowed (loopback only)"
            : $"alerting: {options.ApiKeys.Count} API key(s) configured");
        await server.WaitForShutdownAsync();
        Console.WriteLine(server.ResyncRequested
            ? "alerting: restarting in place to resynchronise from the primary"
            : "alerting: stopping (draining and committing)");
    }

    if (!server.ResyncRequested)
    {
        return 0;
    }

    if (Volatile.Read(ref stopRequested) != 0)
    {
        Console.WriteLine("alerting: stopping (asked to stop while restarting in place; the next start resynchronises)");
        return 0;
    }

    // The restart must not discard again what an operator asked to keep: --force-empty applies once.
    options.ForceEmpty = false;
}
