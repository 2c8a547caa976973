using Alerting.Protocol.Log;
using Alerting.Server.Api;
using Grpc.Core;

namespace Alerting.Server.Hosting;

/// <summary>
/// Writes the engine settings the server's configuration names (<see cref="ServerOptions.EngineSettings"/>)
/// to the log when the log's current ones differ: a single primary once it has started, a cluster
/// member each time it becomes the primary. A standby never writes. Unset values leave the log's
/// alone, so settings changed through <c>Admin.SetEngineSettings</c> stay until the configuration
/// names a different value. A failure is printed and kept in <see cref="LastFailure"/>; it never
/// stops the server.
/// </summary>
public sealed class EngineSettingsProposer : Replication.ILeadershipObserver
{
    private readonly EngineCalls _engine;
    private readonly EngineSettingsOptions _settings;
    private volatile string? _lastFailure;
    private long _written;

    public EngineSettingsProposer(EngineCalls engine, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _engine = engine;
        _settings = options.EngineSettings;
    }

    /// <summary>Why the last proposal failed, or null.</summary>
    public string? LastFailure => _lastFailure;

    /// <summary>EngineSettings entries this server wrote from its configuration.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Writes the configured settings unless the log's already hold them; never throws.</summary>
    public async Task ProposeAsync()
    {
        if (!_settings.IsSet)
        {
            return;
        }

        var wanted = _settings.ToProto();
        try
        {
            if (await _engine.Query(state => state.Settings.Holds(wanted)).ConfigureAwait(false))
            {
                return;
            }

            var applied = await _engine.Write(new LogEntry { EngineSettings = wanted }).ConfigureAwait(false);
            Interlocked.Increment(ref _written);
            _lastFailure = null;
            Console.WriteLine($"alerting: engine settings from the configuration written at log index {applied.Index}: {wanted}");
        }
        catch (RpcException e)
        {
            Fail(e.Status.Detail);
        }
        catch (Engine.InvariantViolationException e)
        {
            Fail(e.Message);
        }
    }

    /// <summary>A cluster member that leads a term writes the configured settings (in the background).</summary>
    public void PrimaryReady(long term) => _ = Task.Run(ProposeInBackground);

    public void PrimaryLost(long term)
    {
    }

    private async Task ProposeInBackground()
    {
        try
        {
            await ProposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A background proposal must not throw into the runtime: the failure is kept and printed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail($"{e.GetType().Name}: {e.Message}");
        }
    }

    private void Fail(string reason)
    {
        _lastFailure = reason;
        Console.Error.WriteLine($"alerting: warning: the engine settings of the configuration were not written ({reason}); the log's stay in force");
    }
}
