namespace Alerting.Engine.Timing;

/// <summary>
/// The due instances an Advance collects from the slots it visits, put in (due, sequence) order once
/// per advance. The dues of a 100 ms tick span about 100 distinct ms, so a counting pass on the due ms
/// plus an insertion sort by sequence inside each ms costs a few compares per firing, where a binary
/// heap per slot cost two sifts of log2(slot size) data-dependent compares. When the span of dues is wider
/// than <see cref="MaxCountingSpanMs"/> (a jump, overdue timers) or a tie is larger than
/// <see cref="MaxInsertionSortTie"/>, <see cref="TrySort"/> declines and the wheel orders the batch with
/// its heap instead.
/// </summary>
internal sealed class DueBatch
{
    /// <summary>Widest due span (ms) ordered by counting; its counters are allocated up front.</summary>
    public const int MaxCountingSpanMs = 4096;

    /// <summary>Largest group of equal due ms ordered by insertion sort (quadratic) rather than the fallback.</summary>
    public const int MaxInsertionSortTie = 64;

    private readonly int[] _counts = new int[MaxCountingSpanMs + 1];
    private DueInstance[] _items;

    // Firing order as positions in _items, so the counting pass moves 4-byte ints, not 40-byte records.
    private int[] _order;
    private long _minDueMs;
    private long _maxDueMs;
    private int _cursor;

    public DueBatch(int capacity)
    {
        _items = new DueInstance[capacity];
        _order = new int[capacity];
    }

    public int Count { get; private set; }

    /// <summary>True while sorted instances remain to be taken.</summary>
    public bool HasNext => _cursor < Count;

    /// <summary>The next instance in firing order; valid while <see cref="HasNext"/>.</summary>
    public ref readonly DueInstance Next => ref _items[_order[_cursor]];

    /// <summary>Grows to <paramref name="capacity"/>; called when the timer pool grows, never on the firing path.</summary>
    public void Grow(int capacity)
    {
        Invariant.Check(capacity >= _items.Length, "the due batch never shrinks");
        Array.Resize(ref _items, capacity);
        Array.Resize(ref _order, capacity);
    }

    public void Clear()
    {
        Count = 0;
        _cursor = 0;
        _minDueMs = long.MaxValue;
        _maxDueMs = long.MinValue;
    }

    public void Add(in DueInstance item)
    {
        // Every pool entry is in the batch at most once, and the batch is as large as the pool.
        Invariant.Check(Count < _items.Length, "due batch larger than the timer pool");
        _items[Count++] = item;
        _minDueMs = Math.Min(_minDueMs, item.DueMs);
        _maxDueMs = Math.Max(_maxDueMs, item.DueMs);
    }

    public void MoveNext() => _cursor++;

    /// <summary>The collected instances, in collection order.</summary>
    public ReadOnlySpan<DueInstance> Items => _items.AsSpan(0, Count);

    /// <summary>
    /// Orders the batch by (due, sequence) and rewinds it, without allocating; false (batch unchanged)
    /// when the due span or a tie is too large for the counting sort.
    /// </summary>
    public bool TrySort()
    {
        _cursor = 0;
        return Count == 0 || (_maxDueMs - _minDueMs < MaxCountingSpanMs && SortByCounting(Count, (int)(_maxDueMs - _minDueMs) + 1));
    }

    /// <summary>Counting sort on the due ms, then insertion sort by sequence per ms; false when a tie is too large.</summary>
    private bool SortByCounting(int count, int buckets)
    {
        var items = _items;
        var order = _order;
        var counts = _counts.AsSpan(0, buckets + 1);
        counts.Clear();
        long minDueMs = _minDueMs;
        for (int i = 0; i < count; i++)
        {
            counts[(int)(items[i].DueMs - minDueMs) + 1]++;
        }

        // counts[b] becomes the start of bucket b; a tie too large for insertion sort aborts before any work.
        for (int b = 1; b <= buckets; b++)
        {
            if (counts[b] > MaxInsertionSortTie)
            {
                return false;
            }

            counts[b] += counts[b - 1];
        }

        // The scatter is stable and leaves counts[b] at the end of bucket b.
        for (int i = 0; i < count; i++)
        {
            order[counts[(int)(items[i].DueMs - minDueMs)]++] = i;
        }

        int start = 0;
        for (int b = 0; b < buckets; b++)
        {
            int end = counts[b];
            for (int i = start + 1; i < end; i++)
            {
                int moving = order[i];
                long sequence = items[moving].Sequence;
                int j = i - 1;
                while (j >= start && items[order[j]].Sequence > sequence)
                {
                    order[j + 1] = order[j];
                    j--;
                }

                order[j + 1] = moving;
            }

            start = end;
        }

        return true;
    }
}
