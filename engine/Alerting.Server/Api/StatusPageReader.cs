using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Alerting.Protocol.V1;
using Alerting.Server.Hosting;
using static Alerting.Engine.StateMachine.TransitionHistory;
using LogMonitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Server.Api;

/// <summary>
/// Reads what one status page shows (<see cref="StatusPage"/>): a page of monitors with a capped
/// number of their groups, the newest transitions, the node's status and the group counts. The
/// monitors and transitions are copied out of the state machine in one query whose work is capped
/// (<see cref="MonitorsPerPage"/> × <see cref="GroupsExaminedPerMonitor"/> groups looked at), so
/// a page never holds the apply loop for longer than a paged API read does.
/// </summary>
public sealed class StatusPageReader
{
    /// <summary>Monitors on one page; the page links to the next.</summary>
    public const int MonitorsPerPage = 50;

    /// <summary>Groups shown under one monitor; past it the page says more are not shown.</summary>
    public const int GroupsPerMonitor = 20;

    /// <summary>
    /// Groups of one monitor looked at to fill its rows under a state filter; with
    /// <see cref="MonitorsPerPage"/> this keeps one page within <see cref="Paging.MaxExaminedPerPage"/>.
    /// </summary>
    public const int GroupsExaminedPerMonitor = Paging.MaxExaminedPerPage / MonitorsPerPage;

    /// <summary>Newest transition events listed.</summary>
    public const int RecentTransitions = 50;

    private readonly EngineCalls _engine;
    private readonly ServerOptions _options;
    private readonly GroupStateCensus _census;
    private readonly Replication.Replicator? _replicator;

    public StatusPageReader(EngineCalls engine, ServerOptions options, GroupStateCensus census, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _engine = engine;
        _options = options;
        _census = census;
        _replicator = services.GetService<Replication.Replicator>();
    }

    /// <summary>One page from monitor slot <paramref name="fromSlot"/>, with the groups <paramref name="filter"/> keeps.</summary>
    public async Task<StatusView> ReadAsync(int fromSlot, StateFilter filter)
    {
        var node = await ClusterService.ReadAsync(_options, _engine, _replicator).ConfigureAwait(false);
        var keep = filter.Keeps;
        var page = await _engine.Query(state =>
        {
            var definitions = new List<LogMonitor>(MonitorsPerPage);
            var nextSlot = state.PageMonitors(_ => true, null, fromSlot, MonitorsPerPage, Paging.MaxExaminedPerPage, Paging.MaxMonitorPageBytes, definitions);
            var monitors = new List<MonitorView>(definitions.Count);
            var groups = new List<(LogMonitor Monitor, GroupState State)>(GroupsPerMonitor);
            foreach (var monitor in definitions)
            {
                groups.Clear();
                var more = state.PageGroupStates(monitor.Id, keep, new ListPosition(0, null), GroupsPerMonitor, GroupsExaminedPerMonitor, groups);
                if (groups.Count == 0 && more is null && !filter.IsAll)
                {
                    continue;
                }

                monitors.Add(new MonitorView(monitor.Id, monitor.Name, monitor.Type, monitor.Query, [.. monitor.Tags], [.. groups.Select(g => GroupView.Of(g.State))], more is not null));
            }

            return new MonitorsPage(monitors, nextSlot, state.MonitorCount, state.SeriesCount, Recent(state), state.AppliedIndex);
        }).ConfigureAwait(false);
        return new StatusView(node, _census.Counts, page);
    }

    /// <summary>The newest <see cref="RecentTransitions"/> events, newest first, with their monitor's name (state-machine thread).</summary>
    private static List<TransitionView> Recent(EngineState state)
    {
        var history = state.History;
        var end = history.OldestSequence + history.Count;
        var items = new List<HistoryItem>(RecentTransitions);
        _ = history.CopyFrom(Math.Max(history.OldestSequence, end - RecentTransitions), items, RecentTransitions, out _);
        var views = new List<TransitionView>(items.Count);
        for (var i = items.Count - 1; i >= 0; i--)
        {
            var e = items[i].Event;
            var name = state.TryGetMonitor(e.MonitorId, out var monitor) && monitor is not null ? monitor.Name : e.MonitorId;
            views.Add(new TransitionView(e.MonitorId, name, e.GroupKey, e.Previous, e.Next, e.Value, e.TimeMs, e.LogIndex, e.ReasonText, e.IsRenotification));
        }

        return views;
    }

    /// <summary>Which groups a page lists: every group, the active ones (firing or pending), or those in one state.</summary>
    public readonly record struct StateFilter(string Name, AlertState? State, bool ActiveOnly)
    {
        public static readonly StateFilter All = new("all", null, false);

        /// <summary>The names a page accepts in <c>?state=</c>, in the order the page links them.</summary>
        public static readonly IReadOnlyList<string> Names = ["all", "active", "alert", "warn", "no_data", "ok"];

        public bool IsAll => State is null && !ActiveOnly;

        public Func<GroupState, bool>? Keeps
        {
            get
            {
                if (IsAll)
                {
                    return null;
                }

                if (ActiveOnly)
                {
                    return static g => g.State != AlertState.Ok || g.IsPending;
                }

                var wanted = State;
                return g => g.State == wanted;
            }
        }

        /// <summary>Null when <paramref name="name"/> is not one of <see cref="Names"/>.</summary>
        public static StateFilter? Parse(string name) => name.ToLowerInvariant() switch
        {
            "" or "all" => All,
            "active" => new StateFilter("active", null, true),
            "alert" => new StateFilter("alert", AlertState.Alert, false),
            "warn" => new StateFilter("warn", AlertState.Warn, false),
            "no_data" => new StateFilter("no_data", AlertState.NoData, false),
            "ok" => new StateFilter("ok", AlertState.Ok, false),
            _ => null,
        };
    }

    public sealed record StatusView(StatusResponse Node, IReadOnlyList<long> GroupCounts, MonitorsPage Page);

    /// <param name="AppliedIndex">The log index the page shows the state at: its live updates start after it.</param>
    public sealed record MonitorsPage(List<MonitorView> Monitors, int? NextSlot, int MonitorCount, int SeriesCount, List<TransitionView> Recent, long AppliedIndex);

    public sealed record MonitorView(string Id, string Name, string Type, string Query, IReadOnlyList<string> Tags, IReadOnlyList<GroupView> Groups, bool MoreGroups);

    public sealed record GroupView(string Key, AlertState State, bool Pending, AlertState PendingLevel, bool Muted, bool Flapping, long SinceMs)
    {
        public static GroupView Of(GroupState g) => new(g.GroupKey, g.State, g.IsPending, g.PendingLevel, g.Muted, g.Flapping, g.StateSinceMs);
    }

    public sealed record TransitionView(string MonitorId, string MonitorName, string GroupKey, AlertState Previous, AlertState Next, double Value, long TimeMs, long LogIndex, string Reason, bool Renotification);
}
