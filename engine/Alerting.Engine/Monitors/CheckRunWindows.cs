using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Monitors;

/// <summary>
/// A check group's runs: one <see cref="CheckRunWindow"/> per series feeding the group (one host's
/// check), by series id, so a group's streaks are never several hosts' runs interleaved. The group's
/// outcome is the most severe verdict among its series; when some series has no verdict (a streak
/// still short of its count), only an ALERT verdict escalates and anything less holds the state, so a
/// group recovers only when all its series agree. UNKNOWN (NO DATA) is the verdict only when no series
/// has another one.
/// </summary>
internal sealed class CheckRunWindows
{
    /// <summary>Series windows, by series id; most groups have one.</summary>
    private readonly List<(int SeriesId, CheckRunWindow Window)> _windows = new(1);
    private readonly int _capacity;

    public CheckRunWindows(int capacity)
    {
        Invariant.Check(capacity >= 1, "a check window holds at least one run");
        _capacity = capacity;
    }

    public void Add(int seriesId, long unixMs, CheckStatus status) => WindowOf(seriesId).Add(unixMs, status);

    /// <summary>Forgets the runs of a series that expired (see <c>SeriesExpiry</c>).</summary>
    public void Remove(int seriesId)
    {
        for (var i = 0; i < _windows.Count; i++)
        {
            if (_windows[i].SeriesId == seriesId)
            {
                _windows.RemoveAt(i);
                return;
            }
        }
    }

    public EvaluationOutcome Evaluate(long evaluationMs, long stalenessMs, CheckCounts counts)
    {
        if (_windows.Count == 1)
        {
            return _windows[0].Window.Evaluate(evaluationMs, stalenessMs, counts);
        }

        var worst = double.MinValue;
        var full = true;
        var holding = false;
        var unknown = false;
        var newestMs = EvaluationOutcome.NoPoint;
        foreach (var (_, window) in _windows)
        {
            var outcome = window.Evaluate(evaluationMs, stalenessMs, counts);
            newestMs = Math.Max(newestMs, outcome.NewestPointMs);
            if (outcome.HasValue)
            {
                worst = Math.Max(worst, outcome.Value);
                full &= outcome.FullWindow;
            }
            else if (outcome.Unknown)
            {
                unknown = true;
            }
            else if (outcome.NewestPointMs != EvaluationOutcome.NoPoint && evaluationMs - outcome.NewestPointMs <= stalenessMs)
            {
                // A live series whose streak is still short: it holds the group's state.
                holding = true;
            }
        }

        if (worst != double.MinValue && (!(holding || unknown) || worst >= CheckStatusAdapter.CriticalLevel))
        {
            return new EvaluationOutcome(true, worst, full, newestMs);
        }

        return EvaluationOutcome.NoData with { NewestPointMs = newestMs, Unknown = unknown && !holding && worst == double.MinValue };
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_windows.Count);
        foreach (var (seriesId, window) in _windows)
        {
            writer.Write(seriesId);
            window.WriteTo(writer);
        }
    }

    /// <summary>
    /// Reads what <see cref="WriteTo"/> wrote; with <paramref name="legacySeriesId"/> set, a snapshot before
    /// format 10 that held one window for the whole group, filed under that series.
    /// </summary>
    public void ReadFrom(BinaryReader reader, int? legacySeriesId)
    {
        Invariant.Check(_windows.Count == 0, "check windows are read into an empty group");
        if (legacySeriesId is { } id)
        {
            WindowOf(id).ReadFrom(reader);
            return;
        }

        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            WindowOf(reader.ReadInt32()).ReadFrom(reader);
        }
    }

    private CheckRunWindow WindowOf(int seriesId)
    {
        var lo = 0;
        var hi = _windows.Count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) / 2);
            var c = _windows[mid].SeriesId.CompareTo(seriesId);
            if (c == 0)
            {
                return _windows[mid].Window;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        var window = new CheckRunWindow(_capacity);
        _windows.Insert(lo, (seriesId, window));
        return window;
    }
}
