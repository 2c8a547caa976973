using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.InteropServices;
using Alerting.Engine.Pipeline;
using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Microsoft.Extensions.Logging;

namespace Alerting.Server.Hosting;

/// <summary>
/// Counts groups by state for <c>alerting_groups{state="ok|warn|alert|no_data"}</c>, and exports
/// <c>alerting_build_info</c>. A count walks every group, which must not hold the apply loop: it is
/// done as a walk of reads of at most <see cref="GroupsPerRead"/> groups each (other entries are
/// applied between them), and the gauges show the last finished walk. A walk starts once per
/// <see cref="EngineCountersSampler.SamplePeriod"/>; so the counts are at most one walk old, and a
/// walk is not one log position (a group that changes state during it is counted where it was
/// when its page was read).
/// </summary>
public sealed class GroupStateCensus : BackgroundService
{
    /// <summary>Groups (and monitor slots) looked at per read of a walk.</summary>
    public const int GroupsPerRead = 10_000;

    private static readonly AlertState[] States = [AlertState.Ok, AlertState.Warn, AlertState.Alert, AlertState.NoData];

    private readonly EngineNode _node;
    private readonly ILogger<GroupStateCensus> _log;
    private readonly Counter<long> _faults;
    private volatile long[] _counts = new long[States.Length];
    private TaskCompletionSource _walked = NewSignal();

    public GroupStateCensus(EngineNode node, IMeterFactory meters, ILogger<GroupStateCensus> log)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(log);
        Engine.Invariant.Check(States.Length == Enum.GetValues<AlertState>().Length && States.Select((s, i) => (int)s == i).All(x => x), "the census has one counter per state, indexed by the state's value");
        _node = node;
        _log = log;
        var meter = meters.Create(ServerMetrics.MeterName);
        var stateTags = States.Select(s => new KeyValuePair<string, object?>("state", StateLabel(s))).ToArray();
        meter.CreateObservableGauge(
            "alerting.groups",
            () =>
            {
                var counts = _counts;
                return States.Select((_, i) => new Measurement<long>(counts[i], stateTags[i]));
            },
            description: "Groups by state, from the last finished count (a bounded walk, at most a few seconds old)");
        var build = BuildInfo();
        meter.CreateObservableGauge(
            "alerting.build_info",
            () => new Measurement<long>(1, build),
            description: "Always 1; the labels say which build runs (version, commit, runtime)");
        _faults = meter.CreateCounter<long>("alerting.group_census.faults", description: "Group counts that failed (logged); the gauges keep the last finished count");
    }

    /// <summary>Groups by state from the last finished walk, indexed by <see cref="AlertState"/>.</summary>
    public IReadOnlyList<long> Counts => _counts;

    /// <summary>Completes when a walk that starts after this call has finished (tests wait on it instead of sleeping).</summary>
    internal Task NextWalkAsync()
    {
        // A walk in progress may have started before the call: wait for the one after it.
        var current = Volatile.Read(ref _walked).Task;
        return current.ContinueWith(_ => Volatile.Read(ref _walked).Task, TaskScheduler.Default).Unwrap();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(EngineCountersSampler.SamplePeriod);
        try
        {
            do
            {
                try
                {
                    if (await WalkAsync().ConfigureAwait(false) is { } counts)
                    {
                        _counts = counts;
                        Interlocked.Exchange(ref _walked, NewSignal()).TrySetResult();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
                {
                    // A background loop must not stop the host (DESIGN invariant 9): count, log, walk again next period.
                    _faults.Add(1);
                    _log.LogError(e, "counting groups by state failed; the gauges keep the last finished count");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
        catch (ObjectDisposedException)
        {
            // The node was disposed first; nothing left to count.
        }
    }

    /// <summary>One walk over every group; null when a read was refused (a full ring: metrics yield to work).</summary>
    private async Task<long[]?> WalkAsync()
    {
        var counts = new long[States.Length];
        ListPosition? from = new ListPosition(0, null);
        var none = new List<(Protocol.Log.Monitor, GroupState)>(0);
        while (from is { } start)
        {
            if (_node.TryQuery(state => state.PageGroupStates(null, g =>
                {
                    counts[(int)g.State]++;
                    return false;
                }, start, 1, GroupsPerRead, none)) is not { } read)
            {
                return null;
            }

            from = await read.ConfigureAwait(false);
        }

        return counts;
    }

    private static string StateLabel(AlertState state) => state switch
    {
        AlertState.Ok => "ok",
        AlertState.Warn => "warn",
        AlertState.Alert => "alert",
        AlertState.NoData => "no_data",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>version and commit from the assembly's informational version (<c>1.0.0+&lt;commit&gt;</c> when built from git), and the runtime.</summary>
    internal static KeyValuePair<string, object?>[] BuildInfo()
    {
        var informational = typeof(GroupStateCensus).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus < 0 ? informational : informational[..plus];
        var commit = plus < 0 ? "unknown" : informational[(plus + 1)..];
        return
        [
            new("version", version),
            new("commit", commit),
            new("runtime", RuntimeInformation.FrameworkDescription),
        ];
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
