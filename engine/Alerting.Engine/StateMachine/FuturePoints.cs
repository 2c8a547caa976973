using Alerting.Engine.Evaluation;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Points and check runs stamped more than <see cref="ArrivalSkewMs"/> ahead of logical time
/// (admitted up to <see cref="Monitors.IngestLimits.MaxPointFutureMs"/> ahead): each waits here
/// until a tick brings logical time to its timestamp, then enters its series' windows as if it
/// had just arrived. So no evaluation sees such a point before its time and no group's clock
/// runs ahead of logical time by more than the skew (Datadog evaluates at its own time; a point
/// stamped later is not in a window (T − w, T] until T reaches it).
/// </summary>
/// <remarks>
/// Released in (timestamp, arrival) order, the same on every replica. Bounded by the points a
/// client can stamp up to <c>MaxPointFutureMs</c> ahead; a tick releases only the due ones
/// (O(log n) each). A snapshot writes them in release order, without the arrival counter, so a
/// restored replica writes the same bytes as one that never stopped.
/// </remarks>
internal sealed class FuturePoints
{
    /// <summary>
    /// How far ahead of logical time a point still enters at once, its <c>on_arrival</c>
    /// evaluation at its own time: logical time lags the leader's clock by up to a tick period
    /// (100 ms) plus the queue before the state machine, and clients' clocks differ by some
    /// milliseconds, so nearly every fresh point is a little ahead. Making those wait would delay
    /// every on-arrival alert to the next tick; the group's clock moves at most this far.
    /// </summary>
    public const long ArrivalSkewMs = 1_000;

    private readonly PriorityQueue<Pending, (long UnixMs, long Arrival)> _queue = new();
    private long _arrivals;

    /// <summary>Points and runs waiting for their time.</summary>
    public int Count => _queue.Count;

    /// <summary>Timestamp of the next one due, or <see cref="long.MaxValue"/> when none waits.</summary>
    public long NextDueMs => _queue.TryPeek(out _, out var key) ? key.UnixMs : long.MaxValue;

    /// <summary>A point of a metric series, due at <paramref name="unixMs"/>.</summary>
    public void AddPoint(SeriesEntry entry, long unixMs, double value)
    {
        Invariant.Check(!entry.IsCheck, "a point belongs to a metric series");
        _queue.Enqueue(new Pending(entry, unixMs, value, CheckStatus.Unknown), (unixMs, _arrivals++));
    }

    /// <summary>A run of a check series, due at <paramref name="unixMs"/>.</summary>
    public void AddRun(SeriesEntry entry, long unixMs, CheckStatus status)
    {
        Invariant.Check(entry.IsCheck, "a check run belongs to a check series");
        _queue.Enqueue(new Pending(entry, unixMs, 0, status), (unixMs, _arrivals++));
    }

    /// <summary>Takes the next one due at or before <paramref name="nowMs"/>, if any.</summary>
    public bool TryTakeDue(long nowMs, out Pending pending)
    {
        if (_queue.TryPeek(out pending, out var key) && key.UnixMs <= nowMs)
        {
            _queue.Dequeue();
            return true;
        }

        pending = default;
        return false;
    }

    public void WriteTo(BinaryWriter writer)
    {
        var ordered = _queue.UnorderedItems.ToArray();
        Array.Sort(ordered, static (x, y) => x.Priority.CompareTo(y.Priority));
        writer.Write(ordered.Length);
        foreach (var (pending, _) in ordered)
        {
            writer.Write(pending.Entry.Id);
            writer.Write(pending.UnixMs);
            writer.Write(pending.Value);
            writer.Write((int)pending.Status);
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote, into an empty queue; series by id.</summary>
    public void ReadFrom(BinaryReader reader, SeriesIndex series)
    {
        Invariant.Check(_queue.Count == 0 && _arrivals == 0, "future points are read into an empty queue");
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var entry = series[reader.ReadInt32()];
            var unixMs = reader.ReadInt64();
            var value = reader.ReadDouble();
            var status = (CheckStatus)reader.ReadInt32();
            _queue.Enqueue(new Pending(entry, unixMs, value, status), (unixMs, _arrivals++));
        }
    }

    /// <summary>One waiting point (metric series) or run (check series, <see cref="Status"/>).</summary>
    internal readonly record struct Pending(SeriesEntry Entry, long UnixMs, double Value, CheckStatus Status);
}
