using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using Google.Protobuf;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// Snapshot of the monitor side. Written: logical time, monitors by slot (definition, groups
/// with their state and series), series in creation order, the window stores, downtimes,
/// refusal counts, retired ids, counters, the monitor matches still going (format 8; with the
/// metric query each is on from format 9), and the mute refresh still going with the canceled
/// downtimes it still needs (format 10; from it too, a check group's runs are kept per series).
/// Each series records its metric type from format 9; from format 12 each monitor records its
/// transition floor, each group when it last reported and each series whether group retention
/// dropped a group it fed; from format 13 each series its id (expired series leave gaps) and when
/// it was last seen, and the series expiry sweep its cursor; from format 16, the points and check
/// runs waiting for their time (<see cref="FuturePoints"/>); from format 17, the 2 h tier's windows
/// (<see cref="WriteWeekTier"/>), then the deleted monitors whose groups are still being freed
/// (<see cref="MonitorDrain"/>) and where the mute sweep stands inside a monitor, last; from format 19, at the very end of
/// the snapshot (<see cref="WriteSteps"/>), where the mute refresh stands inside the first queued monitor and the groups
/// regrouping edits have yet to let go of. Not written, because it is derived:
/// compiled queries and rules (recompiled from the definitions), the indexes (the scope index
/// holds the metric queries whose match finished; the downtime index is rebuilt from the
/// definitions), the series feeds, and the timing wheels (every monitor's next instant is the
/// first offset + k × interval after logical time, and every downtime's next boundary the first
/// after it, exactly what the running wheels hold).
/// </summary>
internal sealed partial class MonitorEngine
{
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(_clock.NowMs);
        writer.Write(_schedule.IsStarted);

        writer.Write(_monitors.Slots.Count);
        foreach (var monitor in _monitors.Slots)
        {
            writer.Write(monitor is not null);
            if (monitor is null)
            {
                continue;
            }

            WriteMonitor(writer, monitor);
        }

        // Format 13: series ids may have gaps (expired series), so each live series names its id.
        writer.Write(_series.NextId);
        writer.Write(_series.Count);
        foreach (var entry in _series.All)
        {
            writer.Write(entry.Id);
            writer.Write(entry.LastSeenMs);
            writer.Write(entry.IsCheck);
            writer.Write(entry.Source);
            writer.Write(entry.Tags.Length);
            foreach (var tag in entry.Tags)
            {
                writer.Write(tag);
            }

            // The tiers of format 16; the 2 h tier added in format 17 is written last (WriteWeekTier).
            for (var tier = 0; tier < StoreTiers.CountBeforeWeekTier; tier++)
            {
                writer.Write(entry.TierSlots[tier]);
            }

            writer.Write((int)entry.Type);
            writer.Write(entry.LeftGroups);
        }

        writer.Write(_expiry.Cursor);
        _windows.WriteTiers(writer, 0, StoreTiers.CountBeforeWeekTier);

        writer.Write(_downtimes.Count);
        foreach (var downtime in _downtimes.Definitions)
        {
            WriteMessage(writer, downtime);
        }

        _admission.WriteTo(writer);

        writer.Write(_monitors.RetiredIds.Count);
        foreach (var id in _monitors.RetiredIds)
        {
            writer.Write(id);
        }

        Counters.WriteTo(writer);
        _matcher.WritePending(writer);
        _mutes.WriteTo(writer);
        writer.Write(_downtimes.CanceledCount);
        foreach (var downtime in _downtimes.CanceledDefinitions)
        {
            WriteMessage(writer, downtime);
        }

        _future.WriteTo(writer);
        WriteWeekTier(writer);
        WriteDrains(writer);
        _mutes.WriteGroupCursor(writer);
    }

    /// <summary>
    /// Format 18, after the client sessions (<see cref="EngineState.WriteTo"/>): the notify_by keys
    /// (<see cref="NotifyKeyTable"/>) of every live monitor that has them, in slot order, then, for every draining
    /// monitor whose definition notifies per key, in the order they were deleted, whether it still holds its table
    /// (a monitor deleted while a regrouping edit let go of its old groups does not: the edit dropped its keys) and
    /// the table. Which monitors have them follows from their definitions.
    /// </summary>
    public void WriteNotifyKeys(BinaryWriter writer)
    {
        foreach (var monitor in LiveNotifyKeyOwners())
        {
            monitor.NotifyKeys!.WriteTo(writer);
        }

        foreach (var monitor in _drain.Draining)
        {
            if (monitor.NotifiesPerKey)
            {
                writer.Write(monitor.NotifyKeys is not null);
                monitor.NotifyKeys?.WriteTo(writer);
            }
        }
    }

    /// <summary>Reads what <see cref="WriteNotifyKeys"/> wrote, checking each table against its groups' states.</summary>
    public void ReadNotifyKeys(BinaryReader reader)
    {
        foreach (var monitor in LiveNotifyKeyOwners())
        {
            monitor.NotifyKeys!.ReadFrom(reader);
            monitor.NotifyKeys.CheckAgainst(monitor.Groups.Values);
        }

        foreach (var monitor in _drain.Draining)
        {
            if (!monitor.NotifiesPerKey)
            {
                continue;
            }

            if (!reader.ReadBoolean())
            {
                monitor.NotifyKeys = null;
                continue;
            }

            Invariant.Check(monitor.NotifyKeys is not null, "a draining monitor that notifies per key was compiled with its table");
            monitor.NotifyKeys!.ReadFrom(reader);
            monitor.NotifyKeys.CheckAgainst(monitor.Groups.Values);
        }
    }

    /// <summary>A snapshot before format 18 holds no notify keys: each is counted from its groups' states, in key order.</summary>
    public void RebuildNotifyKeys()
    {
        foreach (var monitor in NotifyKeyOwners())
        {
            monitor.NotifyKeys!.Rebuild(monitor.Groups.Values);
        }
    }

    private IEnumerable<CompiledMonitor> LiveNotifyKeyOwners()
    {
        foreach (var monitor in _monitors.Slots)
        {
            if (monitor?.NotifyKeys is not null)
            {
                yield return monitor;
            }
        }
    }

    private IEnumerable<CompiledMonitor> NotifyKeyOwners()
    {
        foreach (var monitor in LiveNotifyKeyOwners())
        {
            yield return monitor;
        }

        foreach (var monitor in _drain.Draining)
        {
            if (monitor.NotifyKeys is not null)
            {
                yield return monitor;
            }
        }
    }

    /// <summary>A monitor's definition, transition floor and groups (each with its state and series).</summary>
    private static void WriteMonitor(BinaryWriter writer, CompiledMonitor monitor)
    {
        // The kept bytes are the definition's encoding (the same bytes WriteMessage would write).
        writer.Write(monitor.DefinitionBytes.Length);
        writer.Write(monitor.DefinitionBytes);
        writer.Write(monitor.TransitionFloor);
        writer.Write(monitor.Groups.Count);
        foreach (var group in monitor.Groups.Values)
        {
            writer.Write(group.Key);
            writer.Write(group.Tags.Length);
            foreach (var tag in group.Tags)
            {
                writer.Write(tag);
            }

            group.State.WriteTo(writer);
            writer.Write(group.LastEvaluatedMs);
            writer.Write(group.LastReportedMs);
            // One list per metric query; the count of queries comes from the definition.
            for (var operand = 0; operand < monitor.Operands.Length; operand++)
            {
                var seriesIds = group.SeriesIdsOf(operand);
                writer.Write(seriesIds.Count);
                foreach (var id in seriesIds)
                {
                    writer.Write(id);
                }
            }

            group.Runs?.WriteTo(writer);
        }
    }

    /// <summary>
    /// Format 19, written after everything else in the snapshot: where the mute refresh stands
    /// inside the first monitor a downtime named, then each match still letting go of the groups
    /// its monitor had before a regrouping edit, in the order the matches started: its slot, that
    /// monitor with the groups left (as <see cref="WriteMonitor"/> writes a monitor), and the
    /// definition the edit made of it.
    /// </summary>
    public void WriteSteps(BinaryWriter writer)
    {
        _mutes.WriteNamedCursor(writer);
        var regrouping = _matcher.Regrouping.ToList();
        writer.Write(regrouping.Count);
        foreach (var pending in regrouping)
        {
            writer.Write(pending.Slot);
            WriteMonitor(writer, pending.Old!);
            WriteMessage(writer, pending.EditedTo!.Definition);
        }
    }

    /// <summary>
    /// Reads what <see cref="WriteSteps"/> wrote (a snapshot before format 19 has nothing of it:
    /// then this is not called): each old monitor goes back to its match, its groups into the tag
    /// index and their series' feeds, as when the edit left them.
    /// </summary>
    public void ReadSteps(BinaryReader reader)
    {
        _mutes.ReadNamedCursor(reader);
        var count = reader.ReadInt32();
        var groupSeries = new List<(CompiledMonitor Monitor, MonitorGroup Group, int Operand, int[] SeriesIds)>();
        for (var i = 0; i < count; i++)
        {
            var slot = reader.ReadInt32();
            var old = ReadMonitor(reader, this, slot, withMuteRefresh: true, withGroupRetention: true, groupSeries, regrouping: true);
            // As when the edit left it: its keys dropped (MonitorEngine.Replace).
            old.NotifyKeys = null;
            var editedTo = MonitorCompiler.Compile(Monitor.Parser.ParseFrom(ReadBytes(reader)));
            _matcher.RestoreRegroup(slot, old, editedTo);
        }

        foreach (var (monitor, group, operand, ids) in groupSeries)
        {
            _matcher.Relink(monitor, group, operand, ids);
        }
    }

    /// <summary>
    /// Format 22, the last part of the snapshot: the same-selection edits still re-stamping groups
    /// (<see cref="EditSteps"/>), in the order they started. Each chain names its groups' monitor (0: the live one
    /// of its slot, 1: the one a regroup of that slot is letting go of, 2: the deleted one being drained from it),
    /// its edits (the definitions before and after, logical time, log index), where its walk stands, and the groups
    /// still to re-stamp with the mark each has (every other group of the monitor has every edit).
    /// </summary>
    public void WriteEditSteps(BinaryWriter writer)
    {
        writer.Write(_edits.Count);
        foreach (var chain in _edits.Chains)
        {
            var holder = chain.Holder;
            byte kind = ReferenceEquals(_monitors.Slots[holder.Slot], holder) ? (byte)0 : ReferenceEquals(_matcher.RegroupOld(holder.Slot), holder) ? (byte)1 : (byte)2;
            Invariant.Check(kind != 2 || ReferenceEquals(_monitors.Holder(holder.Slot), holder), "a chain's monitor is live, being let go of by a regroup, or being drained");
            writer.Write(kind);
            writer.Write(holder.Slot);
            writer.Write(chain.Edits.Count);
            foreach (var edit in chain.Edits)
            {
                writer.Write(edit.From.DefinitionBytes.Length);
                writer.Write(edit.From.DefinitionBytes);
                writer.Write(edit.To.DefinitionBytes.Length);
                writer.Write(edit.To.DefinitionBytes);
                writer.Write(edit.AtMs);
                writer.Write(edit.LogIndex);
            }

            writer.Write(chain.After is not null);
            if (chain.After is not null)
            {
                writer.Write(chain.After);
            }

            writer.Write(chain.Left);
            var written = 0;
            foreach (var group in holder.Groups.Values)
            {
                if (group.EditMark < chain.LastIndex)
                {
                    writer.Write(group.Key);
                    writer.Write(group.EditMark);
                    written++;
                }
            }

            Invariant.Check(written == chain.Left, "a chain counts exactly the groups it has yet to re-stamp");
        }
    }

    /// <summary>Reads what <see cref="WriteEditSteps"/> wrote (after every other part: the monitors, drains and regroups are back).</summary>
    public void ReadEditSteps(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var kind = reader.ReadByte();
            var slot = reader.ReadInt32();
            var holder = kind switch
            {
                0 => _monitors.Slots[slot],
                1 => _matcher.RegroupOld(slot),
                2 => _monitors.Slots[slot] is null ? _monitors.Holder(slot) : null,
                _ => null,
            };
            if (holder is null)
            {
                throw new InvalidDataException($"snapshot edit chain {i} names monitor kind {kind} in slot {slot}, which the snapshot does not hold");
            }

            var chain = new EditChain(holder);
            var edits = reader.ReadInt32();
            for (var e = 0; e < edits; e++)
            {
                var from = MonitorCompiler.Compile(Monitor.Parser.ParseFrom(ReadBytes(reader)));
                var to = MonitorCompiler.Compile(Monitor.Parser.ParseFrom(ReadBytes(reader)));
                chain.Edits.Add(new ChainEdit(from, to, reader.ReadInt64(), reader.ReadInt64()));
            }

            chain.After = reader.ReadBoolean() ? reader.ReadString() : null;
            chain.Left = reader.ReadInt32();
            foreach (var group in holder.Groups.Values)
            {
                group.EditMark = chain.LastIndex;
            }

            for (var g = 0; g < chain.Left; g++)
            {
                var key = reader.ReadString();
                var mark = reader.ReadInt64();
                Invariant.Check(holder.Groups.TryGetValue(key, out var group) && mark < chain.LastIndex, "a group a chain has yet to re-stamp is one of its monitor's groups");
                group!.EditMark = mark;
            }

            _edits.Restore(chain);
        }
    }

    /// <summary>Format 17: the deleted monitors whose groups are still being freed, in deletion order, each with its slot and its groups left.</summary>
    private void WriteDrains(BinaryWriter writer)
    {
        writer.Write(_drain.Count);
        foreach (var monitor in _drain.Draining)
        {
            writer.Write(monitor.Slot);
            WriteMonitor(writer, monitor);
        }
    }

    /// <summary>Reads what <see cref="WriteDrains"/> wrote: each monitor takes back its slot (listed as free) and its groups their series' feeds.</summary>
    private void ReadDrains(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        var groupSeries = new List<(CompiledMonitor Monitor, MonitorGroup Group, int Operand, int[] SeriesIds)>();
        for (var i = 0; i < count; i++)
        {
            var slot = reader.ReadInt32();
            var monitor = ReadMonitor(reader, this, slot, withMuteRefresh: true, withGroupRetention: true, groupSeries);
            _drain.Restore(monitor);
        }

        foreach (var (monitor, group, operand, ids) in groupSeries)
        {
            _matcher.Relink(monitor, group, operand, ids);
        }
    }

    /// <summary>
    /// Format 17: the windows of the tiers after the first <see cref="StoreTiers.CountBeforeWeekTier"/>
    /// (the 2 h tier of week-long windows), after everything format 16 wrote: each such store,
    /// then the series that have a window there, as (id, slot) in series order.
    /// </summary>
    internal void WriteWeekTier(BinaryWriter writer)
    {
        _windows.WriteTiers(writer, StoreTiers.CountBeforeWeekTier, StoreTiers.Count);
        for (var tier = StoreTiers.CountBeforeWeekTier; tier < StoreTiers.Count; tier++)
        {
            var count = 0;
            foreach (var entry in _series.All)
            {
                count += entry.TierSlots[tier] >= 0 ? 1 : 0;
            }

            writer.Write(count);
            foreach (var entry in _series.All)
            {
                if (entry.TierSlots[tier] >= 0)
                {
                    writer.Write(entry.Id);
                    writer.Write(entry.TierSlots[tier]);
                }
            }
        }
    }

    /// <summary>Reads what <see cref="WriteWeekTier"/> wrote; a snapshot before format 17 has none (the tiers stay empty).</summary>
    private void ReadWeekTier(BinaryReader reader)
    {
        _windows.ReadTiers(reader, StoreTiers.CountBeforeWeekTier, StoreTiers.Count);
        for (var tier = StoreTiers.CountBeforeWeekTier; tier < StoreTiers.Count; tier++)
        {
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var entry = _series[reader.ReadInt32()];
                entry.TierSlots[tier] = reader.ReadInt32();
            }
        }
    }

    /// <summary>
    /// Reads the monitor side; <paramref name="withPendingMatches"/> is false for snapshots before
    /// format 8, which list no pending matches, <paramref name="withSeriesTypes"/> false before
    /// format 9, which record no series metric types and no pending match's metric query, and
    /// <paramref name="withMuteRefresh"/> false before format 10, which hold no pending mute
    /// refresh and one check-run window per group, and <paramref name="withGroupRetention"/> false
    /// before format 12, which record no group report times and no series that left groups, and
    /// <paramref name="withSeriesExpiry"/> false before format 13, whose series ids have no gaps and
    /// which record no series' last-seen time and no sweep cursor, and
    /// <paramref name="withFuturePoints"/> false before format 16, which keep no points waiting for
    /// their time (their points were already in the windows), and <paramref name="withWeekTierAndDrains"/>
    /// false before format 17, which had no 2 h tier (its windows start empty), no deleted monitor
    /// still being drained and no mute sweep position inside a monitor.
    /// </summary>
    public static MonitorEngine ReadFrom(BinaryReader reader, IngestLimits limits, bool withPendingMatches, bool withSeriesTypes, bool withMuteRefresh, bool withGroupRetention, bool withSeriesExpiry, bool withFuturePoints, bool withWeekTierAndDrains)
    {
        var engine = new MonitorEngine(limits);
        engine._clock.Restore(reader.ReadInt64());
        var scheduleStarted = reader.ReadBoolean();

        var slotCount = reader.ReadInt32();
        var groupSeries = new List<(CompiledMonitor Monitor, MonitorGroup Group, int Operand, int[] SeriesIds)>();
        for (var slot = 0; slot < slotCount; slot++)
        {
            if (!reader.ReadBoolean())
            {
                engine._monitors.Append(null);
                continue;
            }

            ReadMonitor(reader, engine, slot: null, withMuteRefresh, withGroupRetention, groupSeries);
        }

        var nextSeriesId = withSeriesExpiry ? reader.ReadInt32() : -1;
        var seriesCount = reader.ReadInt32();
        for (var i = 0; i < seriesCount; i++)
        {
            // Before format 13 ids had no gaps and no series a last-seen time: each restarts its retention at the snapshot's time.
            var id = withSeriesExpiry ? reader.ReadInt32() : i;
            var lastSeenMs = withSeriesExpiry ? reader.ReadInt64() : engine._clock.NowMs;
            var isCheck = reader.ReadBoolean();
            var source = reader.ReadString();
            var tags = new string[reader.ReadInt32()];
            for (var t = 0; t < tags.Length; t++)
            {
                tags[t] = reader.ReadString();
            }

            var entry = engine._series.Create(isCheck, source, tags, id);
            Invariant.Check(entry.Id == id, "series are read back in creation order");
            entry.LastSeenMs = lastSeenMs;
            for (var tier = 0; tier < StoreTiers.CountBeforeWeekTier; tier++)
            {
                entry.TierSlots[tier] = reader.ReadInt32();
            }

            entry.Type = withSeriesTypes ? (SeriesType)reader.ReadInt32() : SeriesType.Unspecified;
            entry.LeftGroups = withGroupRetention && reader.ReadBoolean();
        }

        if (withSeriesExpiry)
        {
            engine._series.PadTo(nextSeriesId);
        }

        foreach (var (monitor, group, operand, ids) in groupSeries)
        {
            engine._matcher.Relink(monitor, group, operand, ids);
        }

        engine._expiry.Restore(withSeriesExpiry ? reader.ReadInt32() : 0);
        engine._windows.ReadTiers(reader, 0, StoreTiers.CountBeforeWeekTier);

        var downtimes = reader.ReadInt32();
        for (var i = 0; i < downtimes; i++)
        {
            Invariant.Check(engine._downtimes.TryUpsert(Downtime.Parser.ParseFrom(ReadBytes(reader)), out _), "a downtime in a snapshot was accepted when it was applied");
        }

        engine._admission.ReadFrom(reader);

        var retired = reader.ReadInt32();
        for (var i = 0; i < retired; i++)
        {
            engine._monitors.Retire(reader.ReadString());
        }

        engine.Counters.ReadFrom(reader);
        engine._matcher.ReadPending(withPendingMatches ? reader : null, withOperands: withSeriesTypes);
        engine._mutes.ReadFrom(withMuteRefresh ? reader : null);
        var canceled = withMuteRefresh ? reader.ReadInt32() : 0;
        for (var i = 0; i < canceled; i++)
        {
            engine._downtimes.RestoreCanceled(Downtime.Parser.ParseFrom(ReadBytes(reader)));
        }

        if (withFuturePoints)
        {
            engine._future.ReadFrom(reader, engine._series);
        }

        if (withWeekTierAndDrains)
        {
            engine.ReadWeekTier(reader);
        }
        else
        {
            engine._windows.StartEmpty(StoreTiers.CountBeforeWeekTier, StoreTiers.Count);
        }

        // Derived: each window's copy of its series' metric type.
        foreach (var entry in engine._series.All)
        {
            engine._windows.SetType(entry);
        }

        if (withWeekTierAndDrains)
        {
            engine.ReadDrains(reader);
        }

        engine._mutes.ReadGroupCursor(withWeekTierAndDrains ? reader : null);

        if (scheduleStarted)
        {
            engine._schedule.Start();
            engine._downtimes.StartCalendar(engine._clock.NowMs);
        }

        return engine;
    }

    /// <summary>
    /// Reads what <see cref="WriteMonitor"/> wrote: the monitor goes into the next slot (or, for a
    /// draining one, into <paramref name="slot"/>; for one <paramref name="regrouping"/>, nowhere: it keeps that slot number), its groups into the tag index, and their series
    /// lists into <paramref name="groupSeries"/> to be linked once the series are read.
    /// </summary>
    private static CompiledMonitor ReadMonitor(
        BinaryReader reader,
        MonitorEngine engine,
        int? slot,
        bool withMuteRefresh,
        bool withGroupRetention,
        List<(CompiledMonitor Monitor, MonitorGroup Group, int Operand, int[] SeriesIds)> groupSeries,
        bool regrouping = false)
    {
        var definition = Monitor.Parser.ParseFrom(ReadBytes(reader));
        var monitor = MonitorCompiler.Compile(definition);
        if (regrouping)
        {
            // The monitor before a regrouping edit: in no registry, only in its match (and its groups in the indexes).
            monitor.Slot = slot!.Value;
        }
        else if (slot is { } draining)
        {
            engine._monitors.RestoreDraining(draining, monitor);
        }
        else
        {
            engine._monitors.Append(monitor);
            if (monitor.Composite is not null)
            {
                // The member index is derived: rebuilt from the definitions, in slot order as they are read.
                engine._composites.Index.Add(monitor);
            }
        }

        monitor.TransitionFloor = withGroupRetention ? reader.ReadUInt64() : 0;
        var groups = reader.ReadInt32();
        for (var g = 0; g < groups; g++)
        {
            var key = reader.ReadString();
            var tags = new string[reader.ReadInt32()];
            for (var t = 0; t < tags.Length; t++)
            {
                tags[t] = reader.ReadString();
            }

            var group = new MonitorGroup(key, tags, GroupState.ReadFrom(reader), monitor.CheckRuns, monitor.Formula?.OperandCount ?? 0)
            {
                LastEvaluatedMs = reader.ReadInt64(),
            };

            // Before format 12 groups kept no report time: each restarts its retention at the snapshot's time.
            group.LastReportedMs = withGroupRetention ? reader.ReadInt64() : engine._clock.NowMs;
            var firstSeries = -1;
            for (var operand = 0; operand < monitor.Operands.Length; operand++)
            {
                var ids = new int[reader.ReadInt32()];
                for (var i = 0; i < ids.Length; i++)
                {
                    ids[i] = reader.ReadInt32();
                }

                if (operand == 0 && ids.Length > 0)
                {
                    firstSeries = ids[0];
                }

                groupSeries.Add((monitor, group, operand, ids));
            }

            // Before format 10 a check group kept one run window: it belongs to its first series.
            group.Runs?.ReadFrom(reader, withMuteRefresh ? null : firstSeries);
            monitor.AddGroup(key, group);
            engine._matcher.GroupTags.Add(monitor.Slot, group);
        }

        return monitor;
    }

    private static void WriteMessage(BinaryWriter writer, IMessage message)
    {
        var bytes = message.ToByteArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader reader) => reader.ReadBytes(reader.ReadInt32());
}
