using Alerting.Engine.State;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// The most recent transition events, in log order, with the term of the entry that caused
/// each. Part of the state (and its snapshots), so a subscriber can resume from a log index
/// after a restart or a failover, and so the notification outbox can read on from its cursor.
/// Only the state-machine thread appends; readers (the API's subscriptions and history
/// queries, the outbox) copy under the lock and wait for more without polling.
/// </summary>
/// <remarks>
/// <para>Two bounds: <see cref="Capacity"/> events and <see cref="MaxBytes"/> bytes. An event
/// that still waits for a notification (it notifies and its log index is at or above the
/// delivery ledger's <see cref="DeliveryLedger.Pin"/>, the lowest endpoint cursor) is kept past
/// <see cref="Capacity"/>: the history grows rather than forget an undelivered event. Only the
/// byte bound can drop one; that is counted (<see cref="PendingDropped"/>) and the node reports
/// itself unhealthy (<see cref="OverBoundBeforeIndex"/>) until the outbox has passed it.</para>
/// <para>Every event has a sequence number (its position since the first event ever appended),
/// so a reader can stop and resume in the middle of a log index.</para>
/// </remarks>
public sealed class TransitionHistory
{
    /// <summary>Events kept when none is pending; older ones are dropped, and a resume from before them is refused.</summary>
    public const int DefaultCapacity = 100_000;

    /// <summary>Estimated bytes kept, pending events included; past it the oldest event is dropped even if pending.</summary>
    public const long DefaultMaxBytes = 512L * 1024 * 1024;

    /// <summary>Events past <see cref="Capacity"/> dropped per applied entry once they are no longer pending: bounded work per step.</summary>
    public const int MaxReleasedPerEntry = 1024;

    /// <summary>Fixed part of an event's estimated size (the struct, the event's fields, object headers).</summary>
    private const int ItemOverheadBytes = 128;

    private readonly object _gate = new();
    private HistoryItem[] _ring;
    private long _first;
    private long _count;
    private long _dropped;
    private long _bytes;
    private long _pendingDropped;
    private long _overBoundBeforeIndex;
    private long _pin = long.MaxValue;
    private TaskCompletionSource _appended = NewSignal();

    public TransitionHistory(int capacity = DefaultCapacity, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        Capacity = capacity;
        MaxBytes = maxBytes;
        _ring = new HistoryItem[Math.Min(capacity, 1024)];
    }

    public int Capacity { get; }

    public long MaxBytes { get; }

    /// <summary>Log index of the newest event, 0 when there is none.</summary>
    public long NewestIndex
    {
        get
        {
            lock (_gate)
            {
                return _count == _first ? 0 : At(_count - 1).Event.LogIndex;
            }
        }
    }

    /// <summary>
    /// Log index before which events are no longer kept (0 when nothing was dropped): a
    /// subscriber resuming from an index below it would miss events and must be told so.
    /// </summary>
    public long ForgottenBeforeIndex
    {
        get
        {
            lock (_gate)
            {
                return _dropped == 0 ? 0 : _count == _first ? long.MaxValue : At(_first).Event.LogIndex;
            }
        }
    }

    /// <summary>Events kept now.</summary>
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _count - _first;
            }
        }
    }

    /// <summary>Estimated bytes of the events kept now.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Sequence number of the oldest kept event (the next one when none is kept).</summary>
    public long OldestSequence
    {
        get
        {
            lock (_gate)
            {
                return _first;
            }
        }
    }

    /// <summary>Notifying events dropped by the byte bound before every endpoint had settled them.</summary>
    public long PendingDropped
    {
        get
        {
            lock (_gate)
            {
                return _pendingDropped;
            }
        }
    }

    /// <summary>
    /// Above 0 while a pending event was dropped by the byte bound and the outbox has not yet settled
    /// everything up to it: the log index just after the newest such event. The node is unhealthy meanwhile.
    /// </summary>
    public long OverBoundBeforeIndex
    {
        get
        {
            lock (_gate)
            {
                return _overBoundBeforeIndex > _pin ? _overBoundBeforeIndex : 0;
            }
        }
    }

    /// <summary>The sequence number of the first kept event with a log index at or above <paramref name="logIndex"/>.</summary>
    public long FirstSequenceAtOrAfter(long logIndex)
    {
        lock (_gate)
        {
            return FirstAfter(logIndex - 1);
        }
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> events from sequence number <paramref name="sequence"/> on (or
    /// from the oldest kept one, when it was dropped), oldest first; <paramref name="next"/> is the
    /// sequence number after the last copied. Returns a task that completes when more events are appended.
    /// </summary>
    public Task CopyFrom(long sequence, List<HistoryItem> into, int max, out long next)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            var i = Math.Max(sequence, _first);
            for (; i < _count && into.Count < max; i++)
            {
                into.Add(At(i));
            }

            next = i;
            return _appended.Task;
        }
    }

    /// <summary>
    /// Copies up to <paramref name="max"/> events with a log index above
    /// <paramref name="afterIndex"/> that pass <paramref name="filter"/>, oldest first.
    /// Returns a task that completes when more events are appended.
    /// </summary>
    public Task CopyAfter(long afterIndex, Func<TransitionEvent, bool>? filter, List<HistoryItem> into, int max)
    {
        ArgumentNullException.ThrowIfNull(into);
        lock (_gate)
        {
            for (var i = FirstAfter(afterIndex); i < _count && into.Count < max; i++)
            {
                var item = At(i);
                if (filter is null || filter(item.Event))
                {
                    into.Add(item);
                }
            }

            return _appended.Task;
        }
    }

    /// <summary>
    /// The lowest endpoint cursor changed (a <c>NotificationDelivered</c> entry was applied): events
    /// below it are no longer pending, so up to <see cref="MaxReleasedPerEntry"/> of those kept past
    /// <see cref="Capacity"/> are dropped now.
    /// </summary>
    internal void SetPin(long pin)
    {
        lock (_gate)
        {
            _pin = pin;
            Release(MaxReleasedPerEntry);
        }
    }

    /// <summary>Sets the pin of a history just read from a snapshot, dropping nothing: the restored state equals the written one.</summary>
    internal void RestorePin(long pin)
    {
        lock (_gate)
        {
            _pin = pin;
        }
    }

    internal void Append(IReadOnlyList<TransitionEvent> events, IReadOnlyList<string> messages, ulong term)
    {
        if (messages.Count != events.Count)
        {
            throw new InvariantViolationException($"every transition event has its rendered message: {events.Count} events, {messages.Count} messages");
        }

        TaskCompletionSource signal;
        lock (_gate)
        {
            for (var i = 0; i < events.Count; i++)
            {
                Add(new HistoryItem(events[i], term, messages[i]));
                while (_bytes > MaxBytes && _count - _first > 1)
                {
                    DropOldest();
                }

                // One more than was added: a history grown past its capacity while events were pending shrinks back.
                Release(2);
            }

            signal = _appended;
            _appended = NewSignal();
        }

        signal.TrySetResult();
    }

    internal void WriteTo(BinaryWriter writer)
    {
        lock (_gate)
        {
            writer.Write(Capacity);
            writer.Write(MaxBytes);
            writer.Write(_first);
            writer.Write(_dropped);
            writer.Write(_pendingDropped);
            writer.Write(_overBoundBeforeIndex);
            writer.Write(_count - _first);
            for (var i = _first; i < _count; i++)
            {
                var (e, term, message) = At(i);
                writer.Write(term);
                writer.Write(message);
                writer.Write(e.MonitorId);
                writer.Write(e.GroupKey);
                writer.Write(e.TransitionNumber);
                writer.Write((byte)e.Previous);
                writer.Write((byte)e.Next);
                writer.Write(e.Value);
                writer.Write(e.Threshold);
                writer.Write(e.TimeMs);
                writer.Write(e.LogIndex);
                writer.Write((byte)e.Reason);
                writer.Write((byte)e.Flags);
                writer.Write(e.Notify);
                writer.Write(e.IsRenotification);
            }
        }
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote; the pin is set afterwards from the delivery ledger.</summary>
    internal static TransitionHistory ReadFrom(BinaryReader reader)
    {
        var history = new TransitionHistory(reader.ReadInt32(), reader.ReadInt64());
        var first = reader.ReadInt64();
        history._dropped = reader.ReadInt64();
        history._pendingDropped = reader.ReadInt64();
        history._overBoundBeforeIndex = reader.ReadInt64();
        history.ReadItems(reader, first, reader.ReadInt64());
        return history;
    }

    /// <summary>Reads a snapshot of format 5: capacity, dropped, kept, then the events (every dropped event was the oldest, so the first kept one's sequence is the dropped count).</summary>
    internal static TransitionHistory ReadVersion5(BinaryReader reader)
    {
        var history = new TransitionHistory(reader.ReadInt32());
        history._dropped = reader.ReadInt64();
        history.ReadItems(reader, history._dropped, reader.ReadInt32());
        return history;
    }

    private void ReadItems(BinaryReader reader, long first, long kept)
    {
        _first = first;
        _count = first;
        for (long i = 0; i < kept; i++)
        {
            var term = reader.ReadUInt64();
            var message = reader.ReadString();
            var e = new TransitionEvent(
                reader.ReadString(),
                reader.ReadString(),
                reader.ReadUInt64(),
                (AlertState)reader.ReadByte(),
                (AlertState)reader.ReadByte(),
                reader.ReadDouble(),
                reader.ReadDouble(),
                reader.ReadInt64(),
                reader.ReadInt64(),
                (TransitionReason)reader.ReadByte(),
                (GroupFlags)reader.ReadByte(),
                reader.ReadBoolean(),
                reader.ReadBoolean());
            Add(new HistoryItem(e, term, message));
        }
    }

    /// <summary>The estimate behind <see cref="MaxBytes"/>: UTF-16 strings plus a fixed overhead. A pure function of the event, so replicas agree.</summary>
    public static long SizeOf(in HistoryItem item) =>
        ItemOverheadBytes + (2L * (item.Message.Length + item.Event.MonitorId.Length + item.Event.GroupKey.Length));

    private ref HistoryItem At(long sequence) => ref _ring[sequence % _ring.Length];

    private void Add(HistoryItem item)
    {
        if (_count - _first == _ring.Length)
        {
            Grow();
        }

        At(_count) = item;
        _count++;
        _bytes += SizeOf(item);
    }

    /// <summary>Doubles the ring, keeping every sequence number at <c>sequence % length</c>.</summary>
    private void Grow()
    {
        var bigger = new HistoryItem[_ring.Length * 2];
        for (var i = _first; i < _count; i++)
        {
            bigger[i % bigger.Length] = At(i);
        }

        _ring = bigger;
    }

    /// <summary>Drops up to <paramref name="max"/> oldest events past <see cref="Capacity"/> that no endpoint waits for.</summary>
    private void Release(int max)
    {
        for (var released = 0; released < max && _count - _first > Capacity; released++)
        {
            ref var oldest = ref At(_first);
            if (oldest.Event.Notify && oldest.Event.LogIndex >= _pin)
            {
                return;
            }

            DropOldest();
        }
    }

    private void DropOldest()
    {
        ref var oldest = ref At(_first);
        if (oldest.Event.Notify && oldest.Event.LogIndex >= _pin)
        {
            _pendingDropped++;
            _overBoundBeforeIndex = Math.Max(_overBoundBeforeIndex, oldest.Event.LogIndex + 1);
        }

        _bytes -= SizeOf(oldest);
        oldest = default;
        _first++;
        _dropped++;
        Invariant.Check(_bytes >= 0, "the history's byte estimate is the sum of the kept events' estimates");
    }

    /// <summary>Sequence number of the first kept event with a log index above <paramref name="afterIndex"/> (binary search: indexes ascend).</summary>
    private long FirstAfter(long afterIndex)
    {
        long lo = _first;
        long hi = _count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (At(mid).Event.LogIndex <= afterIndex)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>A kept event, the term of the entry that caused it, and its rendered message.</summary>
    public readonly record struct HistoryItem(TransitionEvent Event, ulong Term, string Message);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
