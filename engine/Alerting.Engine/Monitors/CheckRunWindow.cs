using Alerting.Engine.State;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Monitors;

/// <summary>
/// The last <c>n</c> check runs of a group (<c>.last(n)</c>), in log order, in a fixed ring.
/// Evaluation: when the newest run is stale (older than the staleness) the group has no data;
/// if the newest run is UNKNOWN it has no verdict (no data); otherwise its level is the least
/// severe status among the held runs that are not UNKNOWN, so ALERT needs <c>n</c> CRITICAL
/// runs in a row (Datadog's consecutive-failures reading of <c>last(n).count_by_status()</c>).
/// With fewer than <c>n</c> such runs the level is at most OK (nothing is escalated yet) and
/// the window is partial.
/// With Datadog service-check thresholds (<see cref="CheckCounts"/>) the streaks of consecutive
/// statuses decide instead (see <see cref="EvaluateCounts"/>). One window holds the runs of one
/// series (one host's check), so runs of several hosts in a group never interleave.
/// </summary>
/// <remarks>
/// Staleness is a property of the group (no recent run: no data), not of each run: the
/// <c>n</c> runs are the check's last <c>n</c> whatever their spacing, so a check that runs
/// every minute can fill <c>last(5)</c> although its oldest run is older than the default
/// two-minute staleness.
/// </remarks>
internal sealed class CheckRunWindow
{
    private readonly long[] _times;
    private readonly CheckStatus[] _statuses;
    private int _next;
    private int _count;

    public CheckRunWindow(int capacity)
    {
        _times = new long[capacity];
        _statuses = new CheckStatus[capacity];
    }

    public int Capacity => _times.Length;

    public void Add(long unixMs, CheckStatus status)
    {
        _times[_next] = unixMs;
        _statuses[_next] = status;
        _next = (_next + 1) % _times.Length;
        _count = Math.Min(_count + 1, _times.Length);
    }

    public EvaluationOutcome Evaluate(long evaluationMs, long stalenessMs, CheckCounts counts)
    {
        if (_count == 0)
        {
            return EvaluationOutcome.NoData;
        }

        if (counts.IsSet)
        {
            return EvaluateCounts(evaluationMs, stalenessMs, counts);
        }

        // The no-data clock runs from the newest run with a verdict: UNKNOWN runs do not reset it.
        var newestAt = (_next - 1 + _times.Length) % _times.Length;
        var known = 0;
        var level = double.MaxValue;
        var newestKnownMs = EvaluationOutcome.NoPoint;
        for (var i = 0; i < _count; i++)
        {
            var at = (newestAt - i + _times.Length) % _times.Length;
            if (_statuses[at] != CheckStatus.Unknown)
            {
                known++;
                level = Math.Min(level, CheckStatusAdapter.ToOutcome(_statuses[at], _times[at]).Value);
                newestKnownMs = Math.Max(newestKnownMs, _times[at]);
            }
        }

        if (evaluationMs - _times[newestAt] > stalenessMs || _statuses[newestAt] == CheckStatus.Unknown)
        {
            return EvaluationOutcome.NoData with { NewestPointMs = newestKnownMs };
        }

        // Fewer than n known runs cannot show n in a row: no escalation yet.
        var full = known == _times.Length;
        return new EvaluationOutcome(true, full ? level : Math.Min(level, CheckStatusAdapter.OkLevel), full, newestKnownMs);
    }

    /// <summary>
    /// Datadog service-check thresholds: the streaks that end at the newest run decide. CRITICAL runs in a
    /// row reaching <c>critical</c> alert; WARN-or-CRITICAL runs reaching <c>warning</c> warn; OK runs
    /// reaching <c>ok</c> recover; UNKNOWN runs reaching <c>unknown</c> (when set) mean NO DATA. A streak
    /// short of its count gives no verdict, so the group holds its state (one OK after an ALERT with
    /// <c>ok: 2</c> keeps it ALERT).
    /// </summary>
    private EvaluationOutcome EvaluateCounts(long evaluationMs, long stalenessMs, CheckCounts counts)
    {
        var newestAt = (_next - 1 + _times.Length) % _times.Length;
        var newestKnownMs = EvaluationOutcome.NoPoint;
        int critical = 0, warning = 0, ok = 0, unknown = 0;
        bool criticalOn = true, warningOn = true, okOn = true, unknownOn = true;
        for (var i = 0; i < _count; i++)
        {
            var at = (newestAt - i + _times.Length) % _times.Length;
            var status = _statuses[at];
            if (status != CheckStatus.Unknown)
            {
                newestKnownMs = Math.Max(newestKnownMs, _times[at]);
            }

            criticalOn &= status == CheckStatus.Critical;
            warningOn &= status is CheckStatus.Critical or CheckStatus.Warn;
            okOn &= status == CheckStatus.Ok;
            unknownOn &= status == CheckStatus.Unknown;
            critical += criticalOn ? 1 : 0;
            warning += warningOn ? 1 : 0;
            ok += okOn ? 1 : 0;
            unknown += unknownOn ? 1 : 0;
        }

        if (evaluationMs - _times[newestAt] > stalenessMs)
        {
            return EvaluationOutcome.NoData with { NewestPointMs = newestKnownMs };
        }

        if (critical >= counts.Critical)
        {
            return EvaluationOutcome.Of(CheckStatusAdapter.CriticalLevel, newestKnownMs);
        }

        if (warning >= counts.Warning)
        {
            return EvaluationOutcome.Of(CheckStatusAdapter.WarningLevel, newestKnownMs);
        }

        if (ok >= counts.Ok)
        {
            return EvaluationOutcome.Of(CheckStatusAdapter.OkLevel, newestKnownMs);
        }

        return counts.Unknown > 0 && unknown >= counts.Unknown
            ? EvaluationOutcome.NoData with { NewestPointMs = newestKnownMs, Unknown = true }
            : EvaluationOutcome.NoData with { NewestPointMs = newestKnownMs };
    }

    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_next);
        writer.Write(_count);
        for (var i = 0; i < _times.Length; i++)
        {
            writer.Write(_times[i]);
            writer.Write((byte)_statuses[i]);
        }
    }

    public void ReadFrom(BinaryReader reader)
    {
        _next = reader.ReadInt32();
        _count = reader.ReadInt32();
        for (var i = 0; i < _times.Length; i++)
        {
            _times[i] = reader.ReadInt64();
            _statuses[i] = (CheckStatus)reader.ReadByte();
        }
    }
}
