using Alerting.Protocol.Log;

namespace Alerting.Engine.State;

/// <summary>
/// A validated downtime: which groups it covers (monitor, tag scope, group key — all given filters
/// must match) and when (a one-off window or a recurrence inside the overall [start, end) bounds).
/// A downtime mutes notifications; it never stops transitions.
/// </summary>
public sealed class DowntimeModel
{
    /// <summary>Upper bound of scope entries per downtime.</summary>
    public const int MaxScopeTags = 64;

    /// <summary>Longest scope entry, <c>key:value</c> together: a series tag's bound (<see cref="Monitors.Query.QueryLimits.MaxTagLength"/>).</summary>
    public const int MaxScopeTagLength = Monitors.Query.QueryLimits.MaxTagLength;

    /// <summary>
    /// Most bytes of a downtime encoded as protobuf, unknown fields included: with up to
    /// <see cref="DowntimeSet.MaxDowntimes"/> of them held, their ids, group keys and recurrence
    /// text need a bound in bytes. A full ASCII scope is about 13 KiB.
    /// </summary>
    public const int MaxDowntimeBytes = 32 * 1024;

    /// <summary><see cref="OptionValidationException.Field"/> of an error about the downtime as a whole (its encoded size).</summary>
    public const string WholeDowntime = "";

    private readonly string[] _scope;

    private DowntimeModel(string id, string[] scope)
    {
        Id = id;
        _scope = scope;
    }

    public string Id { get; }

    /// <summary>Null = any monitor.</summary>
    public string? MonitorId { get; private init; }

    /// <summary>"key:value" tags a group must all carry (Datadog downtime scope).</summary>
    public IReadOnlyList<string> Scope => _scope;

    /// <summary>Null = every group.</summary>
    public string? Group { get; private init; }

    public long StartMs { get; private init; }

    /// <summary>Exclusive end; <see cref="long.MaxValue"/> when open-ended.</summary>
    public long EndMs { get; private init; }

    public DowntimeRecurrence Recurrence { get; private init; }

    /// <summary>States in which this downtime's expiry notifies a group it covered (Datadog <c>notify_end_types</c> has <c>expired</c>).</summary>
    public DowntimeEndStates EndStatesOnExpire { get; private init; }

    /// <summary>States in which this downtime's cancel (delete, or an edit that stops covering) notifies a group it covered.</summary>
    public DowntimeEndStates EndStatesOnCancel { get; private init; }

    /// <summary>Datadog v2's <c>notify_end_types</c> default: expiry only.</summary>
    public static IReadOnlyList<string> DefaultNotifyEndTypes { get; } = ["expired"];

    /// <summary>Datadog v2's <c>notify_end_states</c> default: alert, no data, warn.</summary>
    public static IReadOnlyList<string> DefaultNotifyEndStates { get; } = ["alert", "no data", "warn"];

    /// <summary>
    /// Datadog's defaults for a downtime written without <c>notify_end</c> or the legacy
    /// <c>notify_end_if_alerting</c>, as the API fills them in (the log entry then says exactly what happens).
    /// </summary>
    public static void FillNotifyEndDefaults(Downtime downtime)
    {
        ArgumentNullException.ThrowIfNull(downtime);
        if (downtime.NotifyEnd is null && !downtime.NotifyEndIfAlerting)
        {
            downtime.NotifyEnd = new DowntimeNotifyEnd { Types_ = { DefaultNotifyEndTypes }, States = { DefaultNotifyEndStates } };
        }
    }

    /// <exception cref="OptionValidationException">A field is invalid; the exception names it.</exception>
    public static DowntimeModel FromProto(Downtime downtime)
    {
        ArgumentNullException.ThrowIfNull(downtime);
        var bytes = downtime.CalculateSize();
        if (bytes > MaxDowntimeBytes)
        {
            throw new OptionValidationException(WholeDowntime, $"the downtime is {bytes} bytes encoded, at most {MaxDowntimeBytes} (MaxDowntimeBytes)");
        }

        if (string.IsNullOrEmpty(downtime.Id))
        {
            throw new OptionValidationException("id", "is required");
        }

        if (downtime.StartUnixMs < 0)
        {
            throw new OptionValidationException("start_unix_ms", $"must be >= 0, was {downtime.StartUnixMs}");
        }

        long end = downtime.EndUnixMs == 0 ? long.MaxValue : downtime.EndUnixMs;
        if (end <= downtime.StartUnixMs)
        {
            throw new OptionValidationException("end_unix_ms", $"must be after start_unix_ms {downtime.StartUnixMs} (or 0 = open-ended), was {downtime.EndUnixMs}");
        }

        if (downtime.Scope.Count > MaxScopeTags)
        {
            throw new OptionValidationException("scope", $"at most {MaxScopeTags} tags, got {downtime.Scope.Count}");
        }

        for (var i = 0; i < downtime.Scope.Count; i++)
        {
            string tag = downtime.Scope[i];
            if (tag.IndexOf(':', StringComparison.Ordinal) <= 0)
            {
                throw new OptionValidationException("scope", $"entries must be \"key:value\", got \"{tag}\"");
            }

            if (tag.Length > MaxScopeTagLength)
            {
                throw new OptionValidationException($"scope[{i}]", $"at most {MaxScopeTagLength} characters, got {tag.Length}");
            }
        }

        var (onExpire, onCancel) = EndStates(downtime);
        return new DowntimeModel(downtime.Id, [.. downtime.Scope])
        {
            MonitorId = downtime.MonitorId.Length == 0 ? null : downtime.MonitorId,
            Group = downtime.Group.Length == 0 ? null : downtime.Group,
            StartMs = downtime.StartUnixMs,
            EndMs = end,
            Recurrence = DowntimeRecurrence.Parse(downtime.Recurrence),
            EndStatesOnExpire = onExpire,
            EndStatesOnCancel = onCancel,
        };
    }

    private static (DowntimeEndStates OnExpire, DowntimeEndStates OnCancel) EndStates(Downtime downtime)
    {
        if (downtime.NotifyEnd is null)
        {
            // Legacy entries: notify_end_if_alerting meant ALERT, whether the downtime expired or was deleted.
            var legacy = downtime.NotifyEndIfAlerting ? DowntimeEndStates.Alert : DowntimeEndStates.None;
            return (legacy, legacy);
        }

        var states = DowntimeEndStates.None;
        foreach (var state in downtime.NotifyEnd.States)
        {
            states |= state switch
            {
                "alert" => DowntimeEndStates.Alert,
                "warn" => DowntimeEndStates.Warn,
                "no data" or "no_data" => DowntimeEndStates.NoData,
                _ => throw new OptionValidationException("notify_end_states", $"entries must be \"alert\", \"warn\" or \"no data\", got \"{state}\""),
            };
        }

        bool expired = false;
        bool canceled = false;
        foreach (var type in downtime.NotifyEnd.Types_)
        {
            switch (type)
            {
                case "expired":
                    expired = true;
                    break;
                case "canceled":
                    canceled = true;
                    break;
                default:
                    throw new OptionValidationException("notify_end_types", $"entries must be \"expired\" or \"canceled\", got \"{type}\"");
            }
        }

        return (expired ? states : DowntimeEndStates.None, canceled ? states : DowntimeEndStates.None);
    }

    /// <summary>True when this downtime covers the group of <paramref name="monitorId"/> at <paramref name="nowMs"/>.</summary>
    /// <param name="groupTags">The group's "key:value" tags.</param>
    public bool Covers(string monitorId, string groupKey, ReadOnlySpan<string> groupTags, long nowMs) =>
        IsActiveAt(nowMs) && Selects(monitorId, groupKey, groupTags);

    /// <summary>
    /// True when this downtime's filters (monitor, group, scope) select the group, whatever the time:
    /// <see cref="Covers"/> is this and <see cref="IsActiveAt"/>.
    /// </summary>
    public bool Selects(string monitorId, string groupKey, ReadOnlySpan<string> groupTags)
    {
        if ((MonitorId is not null && !string.Equals(MonitorId, monitorId, StringComparison.Ordinal))
            || (Group is not null && !string.Equals(Group, groupKey, StringComparison.Ordinal)))
        {
            return false;
        }

        foreach (string required in _scope)
        {
            if (!Contains(groupTags, required))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the downtime's time windows hold <paramref name="nowMs"/>: inside [start, end) and inside a recurrence window.</summary>
    public bool IsActiveAt(long nowMs) => nowMs >= StartMs && nowMs < EndMs && Recurrence.InWindow(nowMs, StartMs);

    /// <summary>
    /// The first instant after <paramref name="afterMs"/> at which <see cref="IsActiveAt"/> may change (the start,
    /// the end, a recurrence window's start or end); <see cref="long.MaxValue"/> when it never changes again.
    /// </summary>
    public long NextBoundaryAfter(long afterMs)
    {
        if (afterMs >= EndMs)
        {
            return long.MaxValue;
        }

        if (afterMs < StartMs)
        {
            return StartMs;
        }

        return Math.Min(EndMs, Recurrence.NextBoundaryAfter(afterMs, StartMs));
    }

    private static bool Contains(ReadOnlySpan<string> tags, string tag)
    {
        foreach (string t in tags)
        {
            if (string.Equals(t, tag, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
