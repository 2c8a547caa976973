using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Everything the state machine knows. Only <see cref="LogApplier"/> mutates it, on the one
/// state-machine thread, so nothing here is synchronised. Its snapshot bytes are a pure
/// function of the entries applied (DESIGN invariant 1): collections are ordinal-sorted or in
/// log order, and nothing depends on process-randomised hashing.
/// </summary>
public sealed class EngineState
{
    /// <summary>
    /// Version 22 adds, after everything version 21 wrote, the edits that keep a monitor's series selection and
    /// still have groups to re-stamp (see <see cref="EditSteps"/>); older snapshots read as having none (those
    /// edits applied at once).
    /// Version 21 adds, after everything version 20 wrote, the composite member changes still queued (a change that
    /// reaches more composite groups than one entry's step goes on in the next entries); older
    /// snapshots read it as empty.
    /// Version 20 adds, after everything version 19 wrote, the engine settings (series retention and
    /// step budgets, <see cref="ReplicatedSettings"/>); older snapshots read them as the defaults.
    /// Version 19 adds, after everything version 18 wrote, the bounded-step cursors of issue 7 (see <see cref="FirstVersionWithSteps"/>).
    /// Version 18 adds, after everything version 17 wrote, the notify_by keys of the monitors that have them (their counts of
    /// groups per state, event numbers and last notifications; older snapshots count them from the groups).
    /// Version 17 adds, after everything version 16 wrote, the 2 h window tier of week-long windows
    /// (<c>last_1w</c>; older snapshots read it as empty), then the deleted monitors whose groups are
    /// still being freed and where the mute sweep stands inside a monitor (issue 7).
    /// Version 16 adds the points and check runs stamped ahead of logical time that wait for it.
    /// Version 13 adds series expiry: series ids may have gaps, each series records when it was
    /// last seen, and the expiry sweep its cursor. (No build wrote versions 14 and 15.)
    /// Version 12 adds each group's last report time and each series' mark that group retention
    /// dropped a group it fed. (No build wrote version 11: it was held for parallel work that
    /// needed no layout change; it would read as version 10.)
    /// Version 10 added the mute refresh still going (downtime boundaries and commands refresh in
    /// bounded steps), after the pending matches, and keeps a check group's runs per series.
    /// Version 9 added each series' metric type (gauge, count, rate) and, in a pending match, the
    /// metric query it is on. Version 8 added the monitor matches still going (issue 7), after
    /// the monitor counters. Version 7 added the client sessions.
    /// </summary>
    private const ulong SnapshotFormatVersion = 22;

    private const ulong FirstVersionWithPendingMatches = 8;

    /// <summary>Version 9 added each series' metric type; older versions read it as unspecified (a gauge).</summary>
    private const ulong FirstVersionWithSeriesTypes = 9;

    private const ulong FirstVersionWithMuteRefresh = 10;

    private const ulong FirstVersionWithGroupRetention = 12;

    /// <summary>Version 13 added series expiry: series ids with gaps, each series' last-seen time and the sweep cursor.</summary>
    private const ulong FirstVersionWithSeriesExpiry = 13;

    private const ulong FirstVersionWithFuturePoints = 16;

    /// <summary>Version 17 added the 2 h tier of week-long windows and the deleted monitors still being drained (see <see cref="MonitorDrain"/>).</summary>
    private const ulong FirstVersionWith17 = 17;

    /// <summary>Version 18 added the notify_by keys (<see cref="NotifyKeyTable"/>), after the client sessions.</summary>
    private const ulong FirstVersionWithNotifyKeys = 18;

    /// <summary>
    /// Version 19 appends, after the notify_by keys, the mute refresh's place inside the first monitor
    /// a downtime named and the groups regrouping edits have yet to let go of (see
    /// <see cref="MonitorEngine.WriteSteps"/>).
    /// </summary>
    private const ulong FirstVersionWithSteps = 19;

    /// <summary>Version 20 added the engine settings, written after the step cursors (see <see cref="ReplicatedSettings"/>).</summary>
    private const ulong FirstVersionWithSettings = 20;

    /// <summary>Version 21 added the queued composite member changes, after the engine settings.</summary>
    private const ulong FirstVersionWithCompositeQueue = 21;

    /// <summary>Version 22 added the same-selection edits still re-stamping groups (see <see cref="EditSteps"/>), last.</summary>
    private const ulong FirstVersionWithEditSteps = 22;

    /// <summary>Version 5 (before the notification outbox) is still read: its history had no byte bound and its ledger no outcomes or cursors.</summary>
    private const ulong OldestReadableVersion = 5;

    /// <summary>The first version with client sessions; older snapshots read as having none.</summary>
    private const ulong ClientSessionsVersion = 7;

    public EngineState(IngestLimits? limits = null)
    {
        Limits = limits ?? new IngestLimits();
        Monitors = new MonitorEngine(Limits);
        Clients = new ClientSessions(Limits);
    }

    private EngineState(IngestLimits limits, MonitorEngine monitors, TransitionHistory history, DeliveryLedger deliveries, ClientSessions clients)
    {
        Limits = limits;
        Monitors = monitors;
        History = history;
        Deliveries = deliveries;
        Clients = clients;
    }

    /// <summary>Index of the last applied entry (0 before the first).</summary>
    public long AppliedIndex { get; internal set; }

    /// <summary>The highest term seen in an applied entry.</summary>
    public ulong Term { get; internal set; }

    /// <summary>Logical time: the greatest <c>Tick</c> time applied, in unix ms (the engine's one clock).</summary>
    public long LogicalTimeMs => Monitors.LogicalTimeMs;

    public long TicksApplied { get; internal set; }

    public long NotificationsDelivered { get; internal set; }

    public IngestLimits Limits { get; }

    internal MonitorEngine Monitors { get; }

    /// <summary>The most recent transition events (bounded), for subscriptions that resume from a log index.</summary>
    public TransitionHistory History { get; } = new();

    /// <summary>Finished notification deliveries, from <c>NotificationDelivered</c> entries. State-machine thread only (or through a query).</summary>
    public DeliveryLedger Deliveries { get; } = new();

    /// <summary>Per writing client, its last applied batch and ack, for idempotent retries. State-machine thread only (or through a query).</summary>
    public ClientSessions Clients { get; }

    /// <summary>Every monitor definition, in slot order. State-machine thread only (or through a query).</summary>
    public IEnumerable<Protocol.Log.Monitor> MonitorDefinitions() => Monitors.MonitorDefinitions();

    /// <summary>Every group's state, optionally of one monitor. State-machine thread only (or through a query).</summary>
    public IEnumerable<(Protocol.Log.Monitor Monitor, State.GroupState State)> GroupStates(string? monitorId = null) => Monitors.AllGroupStates(monitorId);

    /// <summary>One page of group states (see <see cref="MonitorEngine.PageGroupStates"/>). State-machine thread only (or through a query).</summary>
    public ListPosition? PageGroupStates(
        string? monitorId, Func<State.GroupState, bool>? keep, ListPosition from, int pageSize, int examineLimit, List<(Protocol.Log.Monitor Monitor, State.GroupState State)> page) =>
        Monitors.PageGroupStates(monitorId, keep, from, pageSize, examineLimit, page);

    /// <summary>One page of monitor definitions (see <see cref="MonitorEngine.PageMonitors"/>). State-machine thread only (or through a query).</summary>
    public int? PageMonitors(
        Func<Protocol.Log.Monitor, bool> keep, State.AlertState? withGroupIn, int fromSlot, int pageSize, int examineLimit, long byteLimit, List<Protocol.Log.Monitor> page) =>
        Monitors.PageMonitors(keep, withGroupIn, fromSlot, pageSize, examineLimit, byteLimit, page);

    /// <summary>The id of the live monitor of that name, from the by-name index, or null. State-machine thread only (or through a query).</summary>
    public string? MonitorIdOfName(string name) => Monitors.MonitorIdOfName(name);

    /// <summary>Downtime definitions by id. State-machine thread only (or through a query).</summary>
    public IEnumerable<Protocol.Log.Downtime> DowntimeDefinitions() => Monitors.DowntimeDefinitions();

    public int MonitorCount => Monitors.MonitorCount;

    public int DowntimeCount => Monitors.DowntimeCount;

    public int SeriesCount => Monitors.SeriesCount;

    /// <summary>Monitors still matching the series that existed before them, a bounded step per tick.</summary>
    public int MatchesPending => Monitors.MatchesPending;

    public EngineCounters Counters => Monitors.Counters;

    /// <summary>The state machine's parameters set through <c>EngineSettings</c> entries. State-machine thread only (or through a query).</summary>
    public ReplicatedSettings Settings => Monitors.Settings;

    public long Rejected(RejectReason reason) => Monitors.Rejected(reason);

    public bool TryGetMonitor(string id, out Protocol.Log.Monitor? monitor) => Monitors.TryGetMonitor(id, out monitor);

    /// <summary>One group's state (see <see cref="MonitorEngine.TryGetGroupState"/>). State-machine thread only (or through a query).</summary>
    public bool TryGetGroupState(string monitorId, string groupKey, out State.GroupState? state) => Monitors.TryGetGroupState(monitorId, groupKey, out state);

    /// <summary>Writes the whole state; equal states write equal bytes.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(SnapshotFormatVersion);
        writer.Write(AppliedIndex);
        writer.Write(Term);
        writer.Write(LogicalTimeMs);
        writer.Write(TicksApplied);
        writer.Write(NotificationsDelivered);
        Monitors.WriteTo(writer);
        History.WriteTo(writer);
        Deliveries.WriteTo(writer);
        Clients.WriteTo(writer);
        Monitors.WriteNotifyKeys(writer);
        Monitors.WriteSteps(writer);
        Settings.WriteTo(writer);
        Monitors.WriteCompositeQueueTo(writer);
        Monitors.WriteEditSteps(writer);
    }

    public static EngineState ReadFrom(BinaryReader reader, IngestLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        limits ??= new IngestLimits();
        var version = reader.ReadUInt64();
        if (version is < OldestReadableVersion or > SnapshotFormatVersion or (> FirstVersionWithGroupRetention and < FirstVersionWithFuturePoints))
        {
            throw new InvalidDataException($"snapshot format version {version} is not supported (expected {OldestReadableVersion} to {SnapshotFormatVersion})");
        }

        var appliedIndex = reader.ReadInt64();
        var term = reader.ReadUInt64();
        var logicalTimeMs = reader.ReadInt64();
        var ticks = reader.ReadInt64();
        var delivered = reader.ReadInt64();
        var monitors = MonitorEngine.ReadFrom(
            reader,
            limits,
            withPendingMatches: version >= FirstVersionWithPendingMatches,
            withSeriesTypes: version >= FirstVersionWithSeriesTypes,
            withMuteRefresh: version >= FirstVersionWithMuteRefresh,
            withGroupRetention: version >= FirstVersionWithGroupRetention,
            withSeriesExpiry: version >= FirstVersionWithSeriesExpiry,
            withFuturePoints: version >= FirstVersionWithFuturePoints,
            withWeekTierAndDrains: version >= FirstVersionWith17);
        Invariant.Check(monitors.LogicalTimeMs == logicalTimeMs, "a snapshot records one logical time, in the state and in its monitor engine");
        var history = version == OldestReadableVersion ? TransitionHistory.ReadVersion5(reader) : TransitionHistory.ReadFrom(reader);
        var deliveries = DeliveryLedger.ReadFrom(reader, withOutcomes: version > OldestReadableVersion);
        history.RestorePin(deliveries.Pin);
        var clients = version >= ClientSessionsVersion ? ClientSessions.ReadFrom(reader, limits) : new ClientSessions(limits);
        if (version >= FirstVersionWithNotifyKeys)
        {
            monitors.ReadNotifyKeys(reader);
        }
        else
        {
            monitors.RebuildNotifyKeys();
        }

        if (version >= FirstVersionWithSteps)
        {
            monitors.ReadSteps(reader);
        }

        if (version >= FirstVersionWithSettings)
        {
            monitors.Settings.ReadFrom(reader);
        }

        if (version >= FirstVersionWithCompositeQueue)
        {
            monitors.ReadCompositeQueueFrom(reader);
        }

        if (version >= FirstVersionWithEditSteps)
        {
            monitors.ReadEditSteps(reader);
        }

        // Every part of this version was read: bytes left over mean a different layout than the version says.
        if (reader.BaseStream.CanSeek && reader.BaseStream.Position != reader.BaseStream.Length)
        {
            throw new InvalidDataException($"snapshot format version {version} ends at byte {reader.BaseStream.Position}, but the snapshot has {reader.BaseStream.Length} bytes");
        }

        return new EngineState(limits, monitors, history, deliveries, clients)
        {
            AppliedIndex = appliedIndex,
            Term = term,
            TicksApplied = ticks,
            NotificationsDelivered = delivered,
        };
    }
}
