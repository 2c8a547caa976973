using Alerting.Protocol.Log;

namespace Alerting.Engine.StateMachine;

/// <summary>
/// What has been delivered, fed by <c>NotificationDelivered</c> entries so every replica knows it
/// and a new primary resends only what is not settled. Part of the state and its snapshots.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Per notification endpoint and group key (<c>monitor id</c> + <c>group key</c>), the
/// highest transition number whose delivery finished (delivered, refused, given up, or
/// superseded by a newer event of the key).</item>
/// <item>The deliveries that failed (refused by the receiver, or given up): listed by
/// <c>alertctl notifications</c> and retryable. A later good outcome of the same or a newer event
/// of the key clears them.</item>
/// <item>Per endpoint, the outbox cursor: every notifying event below it is settled. The lowest
/// cursor is the history's <see cref="Pin"/>: events at or above it are kept.</item>
/// </list>
/// </remarks>
public sealed class DeliveryLedger
{
    /// <summary>Most (endpoint, key) pairs tracked; beyond it new pairs are not added, and counted (they would be resent after a failover: at-least-once).</summary>
    public const int MaxEntries = 4_000_000;

    /// <summary>Most failed deliveries listed; beyond it a new failure is counted in <see cref="FailedOverflowed"/> instead.</summary>
    public const int MaxFailed = 100_000;

    /// <summary>Characters of a failure's detail kept.</summary>
    public const int MaxDetailChars = 512;

    /// <summary>Most endpoint cursors; endpoint names come from the server's configuration, so this is generous.</summary>
    public const int MaxCursors = 1024;

    /// <summary>The cursor value that retires an endpoint: it no longer holds events in the history.</summary>
    public const long RetiredCursor = long.MaxValue;

    private readonly SortedDictionary<string, ulong> _done = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, FailedDelivery> _failed = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _cursors = new(StringComparer.Ordinal);

    /// <summary>Deliveries reported after the ledger was full (they will be resent after a failover).</summary>
    public long Overflowed { get; private set; }

    /// <summary>Failures not listed because <see cref="MaxFailed"/> were listed already.</summary>
    public long FailedOverflowed { get; private set; }

    public int Count => _done.Count;

    public int FailedCount => _failed.Count;

    /// <summary>The lowest endpoint cursor: no notifying event at or above this log index may leave the history. <see cref="RetiredCursor"/> when there is no endpoint.</summary>
    public long Pin { get; private set; } = RetiredCursor;

    /// <summary>The highest finished transition number of the key at the endpoint, 0 when none.</summary>
    public ulong Finished(string endpoint, string monitorId, string groupKey) =>
        _done.TryGetValue(Key(endpoint, monitorId, groupKey), out var number) ? number : 0;

    /// <summary>The endpoint's outbox cursor (every notifying event below it is settled), 0 when the endpoint has none.</summary>
    public long Cursor(string endpoint) => _cursors.TryGetValue(endpoint, out var cursor) ? cursor : 0;

    /// <summary>Every endpoint cursor, by endpoint name. State-machine thread only (or through a query).</summary>
    public IEnumerable<KeyValuePair<string, long>> Cursors() => _cursors;

    /// <summary>Failed deliveries, ordered by endpoint, monitor id, group key. State-machine thread only (or through a query).</summary>
    public IEnumerable<FailedDelivery> Failed() => _failed.Values;

    internal void Record(NotificationDelivered delivered)
    {
        if (delivered.SettledBeforeIndex > 0)
        {
            AdvanceCursor(delivered.Endpoint, delivered.SettledBeforeIndex);
        }

        if (delivered.MonitorId.Length == 0)
        {
            return;
        }

        var key = Key(delivered.Endpoint, delivered.MonitorId, delivered.GroupKey);
        var number = delivered.TransitionNumber;
        if (_done.TryGetValue(key, out var current))
        {
            if (number > current)
            {
                _done[key] = number;
            }
        }
        else if (_done.Count >= MaxEntries)
        {
            Overflowed++;
        }
        else
        {
            _done.Add(key, number);
        }

        var failed = delivered.Outcome is DeliveryOutcome.Rejected or DeliveryOutcome.GaveUp;
        if (_failed.TryGetValue(key, out var listed))
        {
            if (number >= listed.TransitionNumber)
            {
                if (failed)
                {
                    _failed[key] = FailedDelivery.Of(delivered);
                }
                else
                {
                    _failed.Remove(key);
                }
            }

            return;
        }

        if (failed && number >= current)
        {
            if (_failed.Count >= MaxFailed)
            {
                FailedOverflowed++;
                return;
            }

            _failed.Add(key, FailedDelivery.Of(delivered));
        }
    }

    internal void WriteTo(BinaryWriter writer)
    {
        writer.Write(Overflowed);
        writer.Write(_done.Count);
        foreach (var (key, number) in _done)
        {
            writer.Write(key);
            writer.Write(number);
        }

        writer.Write(FailedOverflowed);
        writer.Write(_failed.Count);
        foreach (var failed in _failed.Values)
        {
            failed.WriteTo(writer);
        }

        writer.Write(_cursors.Count);
        foreach (var (endpoint, cursor) in _cursors)
        {
            writer.Write(endpoint);
            writer.Write(cursor);
        }
    }

    /// <param name="withOutcomes">False for snapshot format 5, whose ledger held only the finished numbers.</param>
    internal static DeliveryLedger ReadFrom(BinaryReader reader, bool withOutcomes = true)
    {
        var ledger = new DeliveryLedger { Overflowed = reader.ReadInt64() };
        var count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            ledger._done.Add(reader.ReadString(), reader.ReadUInt64());
        }

        if (!withOutcomes)
        {
            return ledger;
        }

        ledger.FailedOverflowed = reader.ReadInt64();
        count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var failed = FailedDelivery.ReadFrom(reader);
            ledger._failed.Add(Key(failed.Endpoint, failed.MonitorId, failed.GroupKey), failed);
        }

        count = reader.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            ledger._cursors.Add(reader.ReadString(), reader.ReadInt64());
        }

        ledger.Pin = ledger.LowestCursor();
        return ledger;
    }

    /// <summary>Cursors only move forward: a late record cannot make a settled event pending again.</summary>
    private void AdvanceCursor(string endpoint, long cursor)
    {
        if (_cursors.TryGetValue(endpoint, out var current))
        {
            if (cursor <= current)
            {
                return;
            }

            _cursors[endpoint] = cursor;
        }
        else if (_cursors.Count >= MaxCursors)
        {
            return;
        }
        else
        {
            _cursors.Add(endpoint, cursor);
        }

        // A handful of configured endpoints: the minimum is recomputed, not indexed.
        Pin = LowestCursor();
    }

    private long LowestCursor()
    {
        var lowest = RetiredCursor;
        foreach (var cursor in _cursors.Values)
        {
            lowest = Math.Min(lowest, cursor);
        }

        return lowest;
    }

    // The unit separator cannot appear in endpoint names, monitor ids or tags.
    private static string Key(string endpoint, string monitorId, string groupKey) => endpoint + '\u001f' + monitorId + '\u001f' + groupKey;

    /// <summary>A delivery that ended refused or given up, the newest of its key at its endpoint.</summary>
    public sealed record FailedDelivery(
        string Endpoint,
        string MonitorId,
        string GroupKey,
        ulong TransitionNumber,
        long LogIndex,
        DeliveryOutcome Outcome,
        int Attempts,
        int StatusCode,
        string Detail)
    {
        internal static FailedDelivery Of(NotificationDelivered d) => new(
            d.Endpoint,
            d.MonitorId,
            d.GroupKey,
            d.TransitionNumber,
            d.LogIndex,
            d.Outcome,
            (int)Math.Min(d.Attempts, int.MaxValue),
            d.StatusCode,
            d.Detail.Length <= MaxDetailChars ? d.Detail : d.Detail[..MaxDetailChars]);

        internal void WriteTo(BinaryWriter writer)
        {
            writer.Write(Endpoint);
            writer.Write(MonitorId);
            writer.Write(GroupKey);
            writer.Write(TransitionNumber);
            writer.Write(LogIndex);
            writer.Write((int)Outcome);
            writer.Write(Attempts);
            writer.Write(StatusCode);
            writer.Write(Detail);
        }

        internal static FailedDelivery ReadFrom(BinaryReader reader) => new(
            reader.ReadString(),
            reader.ReadString(),
            reader.ReadString(),
            reader.ReadUInt64(),
            reader.ReadInt64(),
            (DeliveryOutcome)reader.ReadInt32(),
            reader.ReadInt32(),
            reader.ReadInt32(),
            reader.ReadString());
    }
}
