using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using static Alerting.Engine.StateMachine.TransitionHistory;
using LogMonitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// Reads what the Prometheus-compatible routes show (<see cref="PrometheusReadApi"/>): monitors and
/// their firing or pending groups, copied out of the state machine a page per query, so no single
/// read holds the apply loop for longer than one page (<see cref="Paging.MaxExaminedPerPage"/>).
/// Each read stops at a cap (<see cref="MaxAlerts"/>, <see cref="MaxRules"/>) and says so.
/// </summary>
public sealed class PrometheusAlertsReader
{
    /// <summary>Most firing or pending groups one response lists; past it the response says it was cut (a Prometheus warning).</summary>
    public const int MaxAlerts = 10_000;

    /// <summary>Most monitors one <c>/api/v1/rules</c> response lists; past it the response says it was cut.</summary>
    public const int MaxRules = 10_000;

    /// <summary>Groups or monitors copied per engine query.</summary>
    public const int PageSize = 1_000;

    /// <summary>
    /// Newest transition events looked through for an alert's <c>value</c> (the value that moved
    /// the group into its state); a group whose last transition is older shows <c>NaN</c>.
    /// </summary>
    public const int ValueLookback = 10_000;

    private readonly EngineCalls _engine;

    public PrometheusAlertsReader(EngineCalls engine)
    {
        _engine = engine;
    }

    /// <summary>Firing and pending groups, by monitor slot then group key, at most <paramref name="max"/>.</summary>
    public async Task<Listing<ActiveGroup>> ActiveGroupsAsync(int max = MaxAlerts)
    {
        var found = new List<ActiveGroup>();
        var from = new ListPosition(0, null);
        while (true)
        {
            var want = Math.Min(PageSize, max - found.Count + 1);
            var start = from;
            var (page, next) = await _engine.Query(state =>
            {
                var rows = new List<(LogMonitor Monitor, GroupState State)>(want);
                var position = state.PageGroupStates(null, IsActive, start, want, Paging.MaxExaminedPerPage, rows);
                return (rows.Select(r => ActiveGroup.Of(r.Monitor, r.State)).ToList(), position);
            }).ConfigureAwait(false);
            found.AddRange(page);
            var truncated = found.Count > max;
            if (truncated || next is null)
            {
                if (truncated)
                {
                    found.RemoveRange(max, found.Count - max);
                }

                FillValues(found);
                return new Listing<ActiveGroup>(found, truncated);
            }

            from = next.Value;
        }
    }

    /// <summary>Monitor definitions in slot order, at most <paramref name="max"/>.</summary>
    public async Task<Listing<LogMonitor>> MonitorsAsync(int max = MaxRules)
    {
        var found = new List<LogMonitor>();
        var from = 0;
        while (true)
        {
            var want = Math.Min(PageSize, max - found.Count + 1);
            var start = from;
            var (page, next) = await _engine.Query(state =>
            {
                var rows = new List<LogMonitor>(want);
                var slot = state.PageMonitors(_ => true, null, start, want, Paging.MaxExaminedPerPage, Paging.MaxMonitorPageBytes, rows);
                // Copies: the definitions belong to the state machine.
                return (rows.Select(m => m.Clone()).ToList(), slot);
            }).ConfigureAwait(false);
            found.AddRange(page);
            if (found.Count > max)
            {
                found.RemoveRange(max, found.Count - max);
                return new Listing<LogMonitor>(found, Truncated: true);
            }

            if (next is not { } slot)
            {
                return new Listing<LogMonitor>(found, Truncated: false);
            }

            from = slot;
        }
    }

    /// <summary>A group Prometheus would list: firing (WARN, ALERT, NO DATA) or pending toward a level.</summary>
    private static bool IsActive(GroupState state) => state.State != AlertState.Ok || state.IsPending;

    private void FillValues(List<ActiveGroup> groups)
    {
        if (groups.Count == 0)
        {
            return;
        }

        var history = _engine.Node.History;
        var end = history.OldestSequence + history.Count;
        var events = new List<HistoryItem>(ValueLookback);
        _ = history.CopyFrom(Math.Max(history.OldestSequence, end - ValueLookback), events, ValueLookback, out _);
        var latest = new Dictionary<(string, string), double>();
        foreach (var item in events)
        {
            latest[(item.Event.MonitorId, item.Event.GroupKey)] = item.Event.Value;
        }

        for (var i = 0; i < groups.Count; i++)
        {
            if (latest.TryGetValue((groups[i].MonitorId, groups[i].GroupKey), out var value))
            {
                groups[i] = groups[i] with { Value = value };
            }
        }
    }

    /// <summary>What one read found, and whether it stopped at its cap with more left.</summary>
    public sealed record Listing<T>(List<T> Items, bool Truncated);

    /// <summary>A firing or pending group with what its alert shows, copied from the state machine.</summary>
    public sealed record ActiveGroup(
        string MonitorId,
        string MonitorName,
        string Query,
        string Message,
        IReadOnlyList<string> MonitorTags,
        string GroupKey,
        AlertState State,
        bool Pending,
        AlertState PendingLevel,
        long SinceMs,
        double Value)
    {
        public static ActiveGroup Of(LogMonitor monitor, GroupState state) => new(
            monitor.Id,
            monitor.Name,
            monitor.Query,
            monitor.Message,
            [.. monitor.Tags],
            state.GroupKey,
            state.State,
            state.IsPending,
            state.PendingLevel,
            state.State == AlertState.Ok ? state.PendingSinceMs : state.StateSinceMs,
            double.NaN);
    }
}
