using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Series lifecycle (issue 7, item 5): a series that no entry brought an admitted point or check
/// run for the series retention (<see cref="ReplicatedSettings.SeriesRetentionMs"/>, default
/// <see cref="DefaultRetentionMs"/>) of log time is dropped, so a host that went away stops costing
/// memory. Driven by log time only, so every replica drops the same series at the same entry.
/// </summary>
/// <remarks>
/// A sweep cursor walks the series ids in creation order, <see cref="ReplicatedSettings.SeriesSweepStep"/>
/// ids per tick, wrapping to the first after the last, so no tick does more than a step whatever
/// the number of series; the cursor is part of the snapshot. A series expires when
/// <c>now − LastSeenMs ≥ max(retention, hold)</c>, where hold is the longest a point stays in one
/// of its windows (<see cref="WindowStores.LongestHoldMs"/>): a series expires only once none of its
/// windows can still hold a point, so expiry never changes what a group evaluates. It then leaves its
/// groups, its windows return to their stores' free lists (reused last in, first out) and its id
/// stays a gap; the same name and tags arriving later make a new series, matched through the scope
/// index like any new series. A group whose series all expired follows group retention.
/// <para>
/// The retention and the step are engine settings carried in the log (<c>EngineSettings</c> entries,
/// <see cref="ReplicatedSettings"/>), not per-server settings: a setting read outside the log could
/// differ between replicas, and they would then drop different series.
/// </para>
/// </remarks>
internal sealed class SeriesExpiry
{
    /// <summary>Log time without a point after which a series is dropped, until an <c>EngineSettings</c> entry says otherwise: 24 h.</summary>
    public const long DefaultRetentionMs = 24L * 60 * 60 * 1000;

    private readonly ReplicatedSettings _settings;
    private readonly SeriesIndex _series;
    private readonly WindowStores _windows;
    private readonly SeriesMatcher _matcher;

    public SeriesExpiry(ReplicatedSettings settings, SeriesIndex series, WindowStores windows, SeriesMatcher matcher)
    {
        _settings = settings;
        _series = series;
        _windows = windows;
        _matcher = matcher;
    }

    /// <summary>The next series id the sweep examines.</summary>
    public int Cursor { get; private set; }

    /// <summary>The log time without a point after which <paramref name="entry"/> expires.</summary>
    public long RetentionOf(SeriesEntry entry) => Math.Max(_settings.SeriesRetentionMs, _windows.LongestHoldMs(entry));

    /// <summary>One tick's step: examines at most <see cref="ReplicatedSettings.SeriesSweepStep"/> ids (and each id at most once).</summary>
    public void Sweep(long nowMs)
    {
        Invariant.Check(_settings.SeriesSweepStep > 0, "the expiry sweep examines at least one series id per tick");
        var budget = Math.Min(_settings.SeriesSweepStep, _series.NextId);
        for (var i = 0; i < budget; i++)
        {
            if (Cursor >= _series.NextId)
            {
                Cursor = 0;
            }

            var entry = _series.LiveOrNull(Cursor);
            Cursor++;
            if (entry is not null && nowMs - entry.LastSeenMs >= RetentionOf(entry))
            {
                _matcher.Expire(entry);
            }
        }
    }

    /// <summary>Restores the cursor from a snapshot (0 for one written before series expiry).</summary>
    public void Restore(int cursor)
    {
        Invariant.Check(cursor >= 0 && cursor <= _series.NextId, "the sweep cursor is a series id or one past the last");
        Cursor = cursor;
    }
}
