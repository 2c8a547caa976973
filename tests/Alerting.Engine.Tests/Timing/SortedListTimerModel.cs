namespace Alerting.Engine.Tests.Timing;

/// <summary>
/// Naive reference for the timing wheel: every live timer in one list sorted by (due, sequence);
/// Advance repeatedly fires the head while it is due. Obviously right, O(n) per operation.
/// </summary>
internal sealed class SortedListTimerModel
{
    private readonly List<(long DueMs, long Sequence, long PeriodMs, long Id)> _timers = [];
    private long _nextSequence;
    private long? _firingId;
    private bool _firingCancelled;

    public SortedListTimerModel(long startMs)
    {
        NowMs = startMs;
    }

    public long NowMs { get; private set; }

    public int Count => _timers.Count + (_firingId is not null && !_firingCancelled ? 1 : 0);

    public void Schedule(long id, long firstDueMs, long periodMs) => Insert((firstDueMs, _nextSequence++, periodMs, id));

    public bool Cancel(long id)
    {
        if (_firingId == id && !_firingCancelled)
        {
            _firingCancelled = true;
            return true;
        }

        int index = _timers.FindIndex(t => t.Id == id);
        if (index < 0)
        {
            return false;
        }

        _timers.RemoveAt(index);
        return true;
    }

    public void Advance(long nowMs, Action<long, long> onFire)
    {
        nowMs = Math.Max(nowMs, NowMs);
        while (_timers.Count > 0 && _timers[0].DueMs <= nowMs)
        {
            var timer = _timers[0];
            _timers.RemoveAt(0);
            _firingId = timer.Id;
            _firingCancelled = false;
            onFire(timer.Id, timer.DueMs);
            bool cancelled = _firingCancelled;
            _firingId = null;
            if (!cancelled && timer.PeriodMs > 0)
            {
                Insert(timer with { DueMs = timer.DueMs + timer.PeriodMs });
            }
        }

        NowMs = nowMs;
    }

    private void Insert((long DueMs, long Sequence, long PeriodMs, long Id) timer)
    {
        int index = _timers.FindIndex(t => t.DueMs > timer.DueMs || (t.DueMs == timer.DueMs && t.Sequence > timer.Sequence));
        _timers.Insert(index < 0 ? _timers.Count : index, timer);
    }
}
