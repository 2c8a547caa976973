using System.Globalization;

namespace Alerting.Engine.Monitors;

/// <summary>
/// Bounds on what the state machine accepts from points and check runs. They decide state, so
/// every replica must run with the same values (they are part of the node's configuration,
/// like the log format).
/// </summary>
public sealed record IngestLimits
{
    /// <summary>Default: points more than 1 h older than logical time are rejected (<c>too_old</c>).</summary>
    public const long DefaultMaxPointAgeMs = 60 * 60 * 1000;

    /// <summary>Default: points more than 60 s ahead of logical time are rejected (<c>too_far_in_future</c>).</summary>
    public const long DefaultMaxPointFutureMs = 60 * 1000;

    public const int DefaultMaxSeriesPerMetric = 100_000;

    public const int DefaultMaxSeriesTotal = 2_000_000;

    public const int DefaultMaxGroupsPerMonitor = 100_000;

    /// <summary>Most monitors one node holds.</summary>
    public const int DefaultMaxMonitors = 2_000_000;

    /// <summary>Default of <see cref="MatchStepSeries"/>.</summary>
    public const int DefaultMatchStepSeries = 1_024;

    /// <summary>Default: client sessions remembered for deduplicating retried batches (docs/clients.md).</summary>
    public const int DefaultMaxClientSessions = 100_000;

    /// <summary>Default: a client silent this long in logical time (24 h) is forgotten; a retry after that is applied again.</summary>
    public const long DefaultClientSessionExpiryMs = 24 * 60 * 60 * 1000;

    public long MaxPointAgeMs { get; init; } = DefaultMaxPointAgeMs;

    public long MaxPointFutureMs { get; init; } = DefaultMaxPointFutureMs;

    public int MaxSeriesPerMetric { get; init; } = DefaultMaxSeriesPerMetric;

    public int MaxSeriesTotal { get; init; } = DefaultMaxSeriesTotal;

    public int MaxGroupsPerMonitor { get; init; } = DefaultMaxGroupsPerMonitor;

    public int MaxMonitors { get; init; } = DefaultMaxMonitors;

    /// <summary>Most client sessions (<see cref="StateMachine.ClientSessions"/>); a new client beyond it evicts the least recently written one.</summary>
    public int MaxClientSessions { get; init; } = DefaultMaxClientSessions;

    /// <summary>Logical time after a client's last batch at which its session is forgotten.</summary>
    public long ClientSessionExpiryMs { get; init; } = DefaultClientSessionExpiryMs;

    /// <summary>
    /// Most existing series one step of monitor matching examines (issue 7: no entry may hold
    /// the state machine for long). A new or regrouped monitor examines up to this many in the
    /// entry that creates it; a monitor whose scope reaches more goes on in the following ticks,
    /// this many per tick over all monitors still matching, in the order they started. Part of
    /// the state's definition: this is the value before any <c>EngineSettings</c> entry, which sets it
    /// through the log (<see cref="StateMachine.ReplicatedSettings.MatchStepSeries"/>).
    /// </summary>
    public int MatchStepSeries { get; init; } = DefaultMatchStepSeries;

    /// <summary>Default of <see cref="SeriesSweepStep"/>.</summary>
    public const int DefaultSeriesSweepStep = 1_024;

    /// <summary>
    /// Series ids the expiry sweep examines per tick (see <c>SeriesExpiry</c>): it walks every
    /// series id in turn, this many per tick, so a tick's share is bounded however many series
    /// exist. Part of the state's definition: this is the value before any <c>EngineSettings</c> entry,
    /// which sets it through the log (<see cref="StateMachine.ReplicatedSettings.SeriesSweepStep"/>).
    /// </summary>
    public int SeriesSweepStep { get; init; } = DefaultSeriesSweepStep;

    /// <summary>Default of <see cref="CompositeEvaluationStep"/>.</summary>
    public const int DefaultCompositeEvaluationStep = 1_024;

    /// <summary>
    /// Most composite group evaluations (and composites visited) one entry spends on member state
    /// changes (see <c>CompositeEvaluator</c>): a member used by many composites, or a change that
    /// reaches many composite groups, goes on in the following entries, in the order the changes
    /// happened. Part of the state's definition: replicas must use the same value.
    /// </summary>
    public int CompositeEvaluationStep { get; init; } = DefaultCompositeEvaluationStep;

    /// <summary>
    /// Where <paramref name="text"/> holds a control character (C0 including NUL, DEL, C1), or -1.
    /// Names, tags and ids are keys, labels and file-safe text: a NUL or an escape in them breaks
    /// series keys joined with NUL, terminals and log lines. Multi-line text (messages) is not a name.
    /// </summary>
    public static int IndexOfControlCharacter(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The reason given for the control character at <paramref name="index"/> of <paramref name="text"/>.</summary>
    public static string ControlCharacterReason(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Create(CultureInfo.InvariantCulture, $"must not contain control characters (NUL, newline, escape, ...); found U+{(int)text[index]:X4} at position {index}");
    }
}
