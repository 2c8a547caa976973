using Alerting.Engine.Monitors;
using Alerting.Engine.Timing;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Evaluation;

/// <summary>
/// What the state machine lets in: a point is admitted only if its value is finite and its time
/// within [now − <see cref="IngestLimits.MaxPointAgeMs"/>, now + <see cref="IngestLimits.MaxPointFutureMs"/>]
/// of logical time. Every refusal, of a point, a run or a command, is counted here by
/// <see cref="RejectReason"/> (part of the state and its snapshots); none is silent.
/// </summary>
internal sealed class PointAdmission
{
    private readonly IngestLimits _limits;
    private readonly LogicalClock _clock;
    private readonly long[] _rejected = new long[RejectReasonNames.Count];

    public PointAdmission(IngestLimits limits, LogicalClock clock)
    {
        _limits = limits;
        _clock = clock;
    }

    public long Rejected(RejectReason reason) => _rejected[(int)reason];

    /// <summary>Admits the point, or counts why not.</summary>
    public bool Admit(long unixMs, double value, Span<long> rejectedByReason)
    {
        if (!double.IsFinite(value))
        {
            Reject(RejectReason.NotFinite, 1, rejectedByReason);
            return false;
        }

        return AdmitTime(unixMs, rejectedByReason);
    }

    /// <summary>Admits the time of a point or check run, or counts why not.</summary>
    public bool AdmitTime(long unixMs, Span<long> rejectedByReason)
    {
        if (unixMs < _clock.NowMs - _limits.MaxPointAgeMs)
        {
            Reject(RejectReason.TooOld, 1, rejectedByReason);
            return false;
        }

        if (unixMs > _clock.NowMs + _limits.MaxPointFutureMs)
        {
            Reject(RejectReason.TooFarInFuture, 1, rejectedByReason);
            return false;
        }

        return true;
    }

    /// <summary>Whether any of the first <paramref name="count"/> points would be admitted; counts nothing.</summary>
    public bool AnyAdmissible(SeriesPoints series, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var unixMs = series.UnixMs[i];
            if (double.IsFinite(series.Values[i])
                && unixMs >= _clock.NowMs - _limits.MaxPointAgeMs
                && unixMs <= _clock.NowMs + _limits.MaxPointFutureMs)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Counts <paramref name="count"/> refusals, in the engine's totals and in the entry's own tally.</summary>
    public void Reject(RejectReason reason, long count, Span<long> rejectedByReason)
    {
        Invariant.Check(count >= 0, "a refusal counts a non-negative number of items");
        _rejected[(int)reason] += count;
        if (!rejectedByReason.IsEmpty)
        {
            rejectedByReason[(int)reason] += count;
        }
    }

    /// <summary>Counts one monitor or downtime command that does not validate.</summary>
    public void RejectCommand() => Reject(RejectReason.InvalidCommand, 1, default);

    public void WriteTo(BinaryWriter writer)
    {
        foreach (var count in _rejected)
        {
            writer.Write(count);
        }
    }

    public void ReadFrom(BinaryReader reader)
    {
        for (var i = 0; i < _rejected.Length; i++)
        {
            _rejected[i] = reader.ReadInt64();
        }
    }
}
