using System.Globalization;
using Alerting.Engine.Monitors;
using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The state machine's parameters that change state and so must agree on every replica (issue 7,
/// item 5): set only by <c>EngineSettings</c> log entries, so a replica, a replay and a restored
/// snapshot all use the same values from the same entry on. Kept in snapshots from format 20.
/// </summary>
/// <remarks>
/// Before any entry the values are the defaults: <see cref="SeriesExpiry.DefaultRetentionMs"/> and the
/// node's <see cref="IngestLimits.SeriesSweepStep"/> and <see cref="IngestLimits.MatchStepSeries"/>
/// (1 024 each; only tests and benchmarks construct other limits). An entry's field left 0 keeps
/// the current value. An entry with a value out of bounds changes nothing and answers an error: the
/// API refuses it first, so only a hand-made log holds one, and every replica refuses it alike.
/// </remarks>
public sealed class ReplicatedSettings
{
    /// <summary>Shortest series retention: 10 min. A series is still kept while one of its windows can hold a point.</summary>
    public const long MinSeriesRetentionMs = 10L * 60 * 1000;

    /// <summary>Longest series retention: 30 days.</summary>
    public const long MaxSeriesRetentionMs = 30L * 24 * 60 * 60 * 1000;

    /// <summary>Smallest step budget (series sweep, match): one series per tick.</summary>
    public const int MinStep = 1;

    /// <summary>Largest step budget: 65 536 series per tick, which keeps a tick's share to a few milliseconds.</summary>
    public const int MaxStep = 65_536;

    internal ReplicatedSettings(IngestLimits limits)
    {
        Invariant.Check(limits.SeriesSweepStep > 0, "the expiry sweep examines at least one series id per tick");
        Invariant.Check(limits.MatchStepSeries > 0, "a match step examines at least one series");
        SeriesRetentionMs = SeriesExpiry.DefaultRetentionMs;
        SeriesSweepStep = limits.SeriesSweepStep;
        MatchStepSeries = limits.MatchStepSeries;
    }

    /// <summary>Log time without an admitted point or check run after which a series is dropped (see <see cref="SeriesExpiry"/>).</summary>
    public long SeriesRetentionMs { get; private set; }

    /// <summary>Series ids the expiry sweep examines per tick.</summary>
    public int SeriesSweepStep { get; private set; }

    /// <summary>Existing series one step of monitor matching examines (see <see cref="SeriesMatcher"/>).</summary>
    public int MatchStepSeries { get; private set; }

    /// <summary>The first field of <paramref name="settings"/> out of bounds, as "field: reason", or null. A 0 (keep) is in bounds.</summary>
    public static string? Problem(EngineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.SeriesRetentionMs != 0 && settings.SeriesRetentionMs is < MinSeriesRetentionMs or > MaxSeriesRetentionMs)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"series_retention_ms: must be in {MinSeriesRetentionMs}..{MaxSeriesRetentionMs} ms (10 min to 30 days), or 0 to keep the current value; was {settings.SeriesRetentionMs}");
        }

        return StepProblem("series_sweep_step", settings.SeriesSweepStep) ?? StepProblem("match_step_series", settings.MatchStepSeries);
    }

    /// <summary>The current values, every field set.</summary>
    public EngineSettings ToProto() => new()
    {
        SeriesRetentionMs = SeriesRetentionMs,
        SeriesSweepStep = SeriesSweepStep,
        MatchStepSeries = MatchStepSeries,
    };

    /// <summary>Whether applying <paramref name="settings"/> would change nothing (every field 0 or the current value).</summary>
    public bool Holds(EngineSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return (settings.SeriesRetentionMs == 0 || settings.SeriesRetentionMs == SeriesRetentionMs)
            && (settings.SeriesSweepStep == 0 || settings.SeriesSweepStep == SeriesSweepStep)
            && (settings.MatchStepSeries == 0 || settings.MatchStepSeries == MatchStepSeries);
    }

    /// <summary>Applies an <c>EngineSettings</c> entry: its non-zero fields, or nothing and the reason when one is out of bounds.</summary>
    internal string? Apply(EngineSettings settings)
    {
        if (Problem(settings) is { } problem)
        {
            return problem;
        }

        SeriesRetentionMs = settings.SeriesRetentionMs is 0 ? SeriesRetentionMs : settings.SeriesRetentionMs;
        SeriesSweepStep = settings.SeriesSweepStep is 0 ? SeriesSweepStep : settings.SeriesSweepStep;
        MatchStepSeries = settings.MatchStepSeries is 0 ? MatchStepSeries : settings.MatchStepSeries;
        return null;
    }

    /// <summary>The snapshot's part from format 20, written last.</summary>
    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(SeriesRetentionMs);
        writer.Write(SeriesSweepStep);
        writer.Write(MatchStepSeries);
    }

    /// <summary>Restores what <see cref="WriteTo"/> wrote; a snapshot before format 20 keeps the defaults.</summary>
    internal void ReadFrom(BinaryReader reader)
    {
        var retention = reader.ReadInt64();
        var sweep = reader.ReadInt32();
        var match = reader.ReadInt32();
        Invariant.Check(retention > 0 && sweep > 0 && match > 0, "a snapshot's engine settings are positive (an entry's were checked when applied)");
        SeriesRetentionMs = retention;
        SeriesSweepStep = sweep;
        MatchStepSeries = match;
    }

    private static string? StepProblem(string field, int value) =>
        value != 0 && value is < MinStep or > MaxStep
            ? string.Create(CultureInfo.InvariantCulture, $"{field}: must be in {MinStep}..{MaxStep} series per tick, or 0 to keep the current value; was {value}")
            : null;
}
