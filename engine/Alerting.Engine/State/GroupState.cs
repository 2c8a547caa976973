namespace Alerting.Engine.State;

/// <summary>
/// The state of one monitor group, a plain struct meant to live in a pooled array and be passed by
/// ref to <see cref="StateProcessor"/>. Only the processor mutates it. Serialized field by field in a
/// fixed order so that replicas produce byte-identical snapshots.
/// </summary>
public struct GroupState
{
    /// <summary>Marks an unset instant (no pending condition, no keep-firing window).</summary>
    public const long NotSet = long.MinValue;

    /// <summary>Version of the <see cref="WriteTo"/> format. Version 2 replaced the one "notify at the end if ALERT" bit with the two end-state masks.</summary>
    public const byte FormatVersion = 2;

    public string GroupKey { get; private set; }

    public AlertState State { get; internal set; }

    /// <summary>The last evaluated condition (before <c>for</c>/<c>keep_firing_for</c>); drives recovery-threshold hysteresis.</summary>
    public AlertState ConditionLevel { get; internal set; }

    /// <summary>The level waiting for <c>for</c> to elapse; meaningful while <see cref="PendingSinceMs"/> is set.</summary>
    public AlertState PendingLevel { get; internal set; }

    public bool Muted { get; internal set; }

    /// <summary>States in which the end of the current muted period notifies if it ends by expiry: the union over the downtimes that covered the group in it.</summary>
    public DowntimeEndStates EndNotifyOnExpire { get; internal set; }

    /// <summary>States in which the end of the current muted period notifies if it ends by a cancel.</summary>
    public DowntimeEndStates EndNotifyOnCancel { get; internal set; }

    public bool Flapping { get; internal set; }

    public long FirstSeenMs { get; private set; }

    /// <summary>Timestamp of the newest data point any evaluation saw (starts at <see cref="FirstSeenMs"/>); the no-data and auto-resolve clocks run from it.</summary>
    public long LastDataMs { get; internal set; }

    /// <summary>Time of the last state change (for auto-resolve).</summary>
    public long StateSinceMs { get; internal set; }

    public long PendingSinceMs { get; internal set; }

    public long KeepFiringSinceMs { get; internal set; }

    /// <summary>Time of the last notification-bearing event of this episode: the transition into the state or the last renotification.</summary>
    public long LastNotifyMs { get; internal set; }

    public int RenotifyCount { get; internal set; }

    /// <summary>Number of the last event emitted for this group; the next one takes +1.</summary>
    public ulong TransitionCount { get; internal set; }

    public ulong FlapHistoryBits { get; internal set; }

    public readonly bool IsPending => PendingSinceMs != NotSet;

    public readonly GroupFlags Flags =>
        (IsPending ? GroupFlags.Pending : GroupFlags.None)
        | (Flapping ? GroupFlags.Flapping : GroupFlags.None)
        | (Muted ? GroupFlags.Muted : GroupFlags.None);

    /// <summary>A group first seen at <paramref name="firstSeenMs"/>: OK, no data clock starting now.</summary>
    public static GroupState Create(string groupKey, long firstSeenMs)
    {
        ArgumentNullException.ThrowIfNull(groupKey);
        return new GroupState
        {
            GroupKey = groupKey,
            State = AlertState.Ok,
            ConditionLevel = AlertState.Ok,
            PendingLevel = AlertState.Ok,
            FirstSeenMs = firstSeenMs,
            LastDataMs = firstSeenMs,
            StateSinceMs = firstSeenMs,
            PendingSinceMs = NotSet,
            KeepFiringSinceMs = NotSet,
            LastNotifyMs = firstSeenMs,
        };
    }

    public readonly void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(FormatVersion);
        writer.Write(GroupKey);
        writer.Write((byte)State);
        writer.Write((byte)ConditionLevel);
        writer.Write((byte)PendingLevel);
        writer.Write((byte)((Muted ? 1 : 0) | (Flapping ? 4 : 0)));
        writer.Write((byte)EndNotifyOnExpire);
        writer.Write((byte)EndNotifyOnCancel);
        writer.Write(FirstSeenMs);
        writer.Write(LastDataMs);
        writer.Write(StateSinceMs);
        writer.Write(PendingSinceMs);
        writer.Write(KeepFiringSinceMs);
        writer.Write(LastNotifyMs);
        writer.Write(RenotifyCount);
        writer.Write(TransitionCount);
        writer.Write(FlapHistoryBits);
    }

    /// <exception cref="InvalidDataException">The bytes are not a group state of this format version.</exception>
    public static GroupState ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        byte version = reader.ReadByte();
        if (version is not (1 or FormatVersion))
        {
            throw new InvalidDataException($"group state format version {version} is not supported (expected 1 or {FormatVersion})");
        }

        var state = new GroupState
        {
            GroupKey = reader.ReadString(),
            State = ReadState(reader),
            ConditionLevel = ReadState(reader),
            PendingLevel = ReadState(reader),
        };
        byte flags = reader.ReadByte();
        if ((flags & ~(version == 1 ? 7 : 5)) != 0)
        {
            throw new InvalidDataException($"group state flags 0x{flags:x2} have unknown bits");
        }

        state.Muted = (flags & 1) != 0;
        state.Flapping = (flags & 4) != 0;
        if (version == 1)
        {
            // Version 1's bit meant notify_end_if_alerting: ALERT, expired or canceled.
            var legacy = (flags & 2) != 0 ? DowntimeEndStates.Alert : DowntimeEndStates.None;
            state.EndNotifyOnExpire = legacy;
            state.EndNotifyOnCancel = legacy;
        }
        else
        {
            state.EndNotifyOnExpire = ReadEndStates(reader);
            state.EndNotifyOnCancel = ReadEndStates(reader);
        }
        state.FirstSeenMs = reader.ReadInt64();
        state.LastDataMs = reader.ReadInt64();
        state.StateSinceMs = reader.ReadInt64();
        state.PendingSinceMs = reader.ReadInt64();
        state.KeepFiringSinceMs = reader.ReadInt64();
        state.LastNotifyMs = reader.ReadInt64();
        state.RenotifyCount = reader.ReadInt32();
        state.TransitionCount = reader.ReadUInt64();
        state.FlapHistoryBits = reader.ReadUInt64();
        Invariant.Check(state.RenotifyCount >= 0, "renotify count is never negative");
        return state;
    }

    private static DowntimeEndStates ReadEndStates(BinaryReader reader)
    {
        byte b = reader.ReadByte();
        return (b & ~(byte)DowntimeEndStates.All) == 0
            ? (DowntimeEndStates)b
            : throw new InvalidDataException($"group state end-notification mask 0x{b:x2} has unknown bits");
    }

    private static AlertState ReadState(BinaryReader reader)
    {
        byte b = reader.ReadByte();
        return b <= (byte)AlertState.NoData
            ? (AlertState)b
            : throw new InvalidDataException($"group state byte {b} is not an alert state");
    }
}
