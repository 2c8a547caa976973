using Alerting.Engine.Timing;

namespace Alerting.Engine.State;

/// <summary>
/// When downtimes start and end: one timer per downtime on a timing wheel, due at its next boundary
/// (its start, its end, a recurrence window's start or end; see <see cref="DowntimeModel.NextBoundaryAfter"/>),
/// re-armed for the following one each time it fires. The wheel moves with logical time (Tick entries), so
/// a boundary takes effect at the first tick at or after it on every replica, whatever the monitors'
/// evaluation intervals.
/// </summary>
/// <remarks>
/// Not in snapshots: the timers are a function of the definitions and logical time, re-armed on restore.
/// The wheel orders equal due times by scheduling order, which a restore does not reproduce, so the
/// boundaries of one advance are handed out sorted by (due, downtime id) instead.
/// </remarks>
internal sealed class DowntimeCalendar
{
    private readonly Dictionary<string, (TimerHandle Handle, long Payload)> _timers = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _idByPayload = [];
    private readonly List<(long DueMs, string Id)> _fired = [];
    private TimingWheel? _wheel;
    private long _nextPayload;

    /// <summary>Whether <see cref="Start"/> ran (before the first tick there is no time to fire against).</summary>
    public bool IsStarted => _wheel is not null;

    /// <summary>Armed timers (downtimes with a boundary still ahead).</summary>
    public int Count => _timers.Count;

    /// <summary>Starts the wheel at <paramref name="nowMs"/> and arms every downtime's next boundary after it.</summary>
    public void Start(long nowMs, IEnumerable<DowntimeModel> models)
    {
        Invariant.Check(_wheel is null, "the downtime calendar starts once");
        _wheel = new TimingWheel(new TimingWheelOptions { ResolutionMs = 100, SlotCountLog2 = 12, InitialCapacity = 64 }, nowMs);
        foreach (var model in models)
        {
            Arm(model);
        }
    }

    /// <summary>(Re-)arms the downtime's timer at its next boundary after the wheel's time; none when it has no boundary left.</summary>
    public void Arm(DowntimeModel model)
    {
        if (_wheel is null)
        {
            return;
        }

        Disarm(model.Id);
        var dueMs = model.NextBoundaryAfter(_wheel.NowMs);
        if (dueMs > TimingWheel.MaxDueMs)
        {
            return;
        }

        Invariant.Check(dueMs > _wheel.NowMs, "a downtime's next boundary is after now");
        var payload = _nextPayload++;
        _idByPayload.Add(payload, model.Id);
        _timers.Add(model.Id, (_wheel.Schedule(dueMs, 0, payload), payload));
    }

    public void Disarm(string id)
    {
        if (_wheel is not null && _timers.Remove(id, out var timer))
        {
            Invariant.Check(_wheel.Cancel(timer.Handle) && _idByPayload.Remove(timer.Payload), "an armed downtime timer is live until it fires");
        }
    }

    /// <summary>
    /// Moves the wheel to <paramref name="nowMs"/> and returns the downtimes whose boundary passed, by
    /// (due, id), each once; their timers are disarmed (re-arm each with <see cref="Arm"/>). Valid until the next call.
    /// </summary>
    public IReadOnlyList<(long DueMs, string Id)> Advance(long nowMs)
    {
        Invariant.Check(_wheel is not null, "the downtime calendar advances once started");
        _fired.Clear();
        var collector = new Collector(_fired, _idByPayload);
        _wheel.Advance(nowMs, ref collector);
        foreach (var (_, id) in _fired)
        {
            Invariant.Check(_timers.Remove(id), "a fired downtime timer was armed");
        }

        _fired.Sort(static (a, b) => a.DueMs != b.DueMs ? a.DueMs.CompareTo(b.DueMs) : string.CompareOrdinal(a.Id, b.Id));
        return _fired;
    }

    private readonly struct Collector : ITimerHandler
    {
        private readonly List<(long DueMs, string Id)> _fired;
        private readonly Dictionary<long, string> _idByPayload;

        public Collector(List<(long DueMs, string Id)> fired, Dictionary<long, string> idByPayload)
        {
            _fired = fired;
            _idByPayload = idByPayload;
        }

        public void OnTimer(TimerHandle handle, long payload, long dueMs)
        {
            Invariant.Check(_idByPayload.Remove(payload, out var id), "a firing timer's payload names its downtime");
            _fired.Add((dueMs, id!));
        }
    }
}
