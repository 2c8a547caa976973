using System.Runtime.InteropServices;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Timing;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// When monitors evaluate: each monitor's instants (offset + k × interval) on the timing wheel,
/// collected in due order when a tick advances logical time, and the groups a batch touched for
/// <c>on_arrival</c> monitors. Under load the most important monitors go first: both orders sort
/// by priority, then by due time (or slot), then by slot (or group key), the same on every replica.
/// </summary>
internal sealed class EvaluationSchedule
{
    /// <summary>A scheduled evaluation at least this late (logical time) counts as caught up after a pause.</summary>
    public const long CaughtUpThresholdMs = 1_000;

    private readonly MonitorRegistry _monitors;
    private readonly LogicalClock _clock;
    private readonly List<(int Slot, long DueMs)> _due = [];
    private readonly List<(int Slot, MonitorGroup Group)> _touched = [];
    private TimingWheel? _wheel;
    private long _touchStamp;

    public EvaluationSchedule(MonitorRegistry monitors, LogicalClock clock)
    {
        _monitors = monitors;
        _clock = clock;
    }

    /// <summary>Whether the first tick started the schedule (before it there is no time to be late against).</summary>
    public bool IsStarted => _wheel is not null;

    /// <summary>Starts the wheel at logical time and schedules every monitor.</summary>
    public void Start()
    {
        Invariant.Check(_wheel is null, "the schedule starts once");
        _wheel = new TimingWheel(new TimingWheelOptions(), _clock.NowMs);
        foreach (var monitor in _monitors.Slots)
        {
            if (monitor is not null)
            {
                Schedule(monitor);
            }
        }
    }

    public void Schedule(CompiledMonitor monitor)
    {
        if (_wheel is null)
        {
            return;
        }

        monitor.Timer = _wheel.Schedule(NextDue(monitor, _clock.NowMs), monitor.IntervalMs, monitor.Slot);
    }

    public void Cancel(CompiledMonitor monitor) => _wheel?.Cancel(monitor.Timer);

    /// <summary>An edited monitor keeps its timer unless its instants moved.</summary>
    public void Carry(CompiledMonitor old, CompiledMonitor updated)
    {
        if (old.IntervalMs != updated.IntervalMs || old.OffsetMs != updated.OffsetMs)
        {
            Cancel(old);
            Schedule(updated);
        }
        else
        {
            updated.Timer = old.Timer;
        }
    }

    /// <summary>The first evaluation instant after <paramref name="afterMs"/>: instants are offset + k × interval.</summary>
    internal static long NextDue(CompiledMonitor monitor, long afterMs)
    {
        var phase = ((afterMs - monitor.OffsetMs) % monitor.IntervalMs + monitor.IntervalMs) % monitor.IntervalMs;
        return afterMs - phase + monitor.IntervalMs;
    }

    /// <summary>
    /// Fires the wheel up to logical time and returns every due instant, each once, in priority
    /// then due order. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<(int Slot, long DueMs)> CollectDue()
    {
        Invariant.Check(_wheel is not null, "due instants are collected only once the schedule started");
        _due.Clear();
        var collector = new DueCollector(_due);
        _wheel.Advance(_clock.NowMs, ref collector);
        var span = CollectionsMarshal.AsSpan(_due);
        span.Sort(new DueOrder(_monitors));
        Invariant.Check(span.IsEmpty || span[^1].DueMs <= _clock.NowMs, "the wheel fires no instant after logical time");
        return span;
    }

    /// <summary>Starts a batch of points or check runs: what it touches is collected afresh.</summary>
    public void BeginBatch()
    {
        Invariant.Check(_touched.Count == 0, "the groups touched by the previous batch were evaluated and cleared");
        _touchStamp++;
    }

    /// <summary>Records the <c>on_arrival</c> groups the series feeds as touched by this batch, at most once each.</summary>
    public void Touch(SeriesEntry entry, long newestMs)
    {
        foreach (var (monitorSlot, group) in entry.Feeds)
        {
            // A null slot is a deleted monitor whose groups are still being freed (see MonitorDrain).
            if (_monitors.Slots[monitorSlot] is not { OnArrival: true })
            {
                continue;
            }

            if (group.TouchStamp != _touchStamp)
            {
                group.TouchStamp = _touchStamp;
                group.TouchedNewestMs = newestMs;
                _touched.Add((monitorSlot, group));
            }
            else
            {
                group.TouchedNewestMs = Math.Max(group.TouchedNewestMs, newestMs);
            }
        }
    }

    /// <summary>
    /// The groups this batch touched, in priority, slot then group-key order; empty before the
    /// schedule starts. Valid until <see cref="EndBatch"/>.
    /// </summary>
    public ReadOnlySpan<(int Slot, MonitorGroup Group)> Touched()
    {
        if (_wheel is null)
        {
            return [];
        }

        var span = CollectionsMarshal.AsSpan(_touched);
        span.Sort(new TouchedOrder(_monitors));
        return span;
    }

    public void EndBatch() => _touched.Clear();

    private struct DueCollector : ITimerHandler
    {
        private readonly List<(int Slot, long DueMs)> _due;

        public DueCollector(List<(int Slot, long DueMs)> due)
        {
            _due = due;
        }

        public readonly void OnTimer(TimerHandle handle, long payload, long dueMs) => _due.Add(((int)payload, dueMs));
    }

    private readonly struct DueOrder : IComparer<(int Slot, long DueMs)>
    {
        private readonly MonitorRegistry _monitors;

        public DueOrder(MonitorRegistry monitors)
        {
            _monitors = monitors;
        }

        public int Compare((int Slot, long DueMs) x, (int Slot, long DueMs) y)
        {
            var byPriority = _monitors[x.Slot].Priority.CompareTo(_monitors[y.Slot].Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var byDue = x.DueMs.CompareTo(y.DueMs);
            return byDue != 0 ? byDue : x.Slot.CompareTo(y.Slot);
        }
    }

    private readonly struct TouchedOrder : IComparer<(int Slot, MonitorGroup Group)>
    {
        private readonly MonitorRegistry _monitors;

        public TouchedOrder(MonitorRegistry monitors)
        {
            _monitors = monitors;
        }

        public int Compare((int Slot, MonitorGroup Group) x, (int Slot, MonitorGroup Group) y)
        {
            var byPriority = _monitors[x.Slot].Priority.CompareTo(_monitors[y.Slot].Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }

            var bySlot = x.Slot.CompareTo(y.Slot);
            return bySlot != 0 ? bySlot : string.CompareOrdinal(x.Group.Key, y.Group.Key);
        }
    }
}
