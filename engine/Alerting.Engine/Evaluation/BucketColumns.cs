namespace Alerting.Engine.Evaluation;

/// <summary>
/// The bucket fields of a range of the store as one span per field (struct of arrays), so an
/// evaluation reads only the columns its aggregation needs: avg reads 12 of the 40 (or 44) bytes.
/// </summary>
internal readonly ref struct BucketColumns
{
    public readonly Span<double> Sum;
    public readonly Span<double> Min;
    public readonly Span<double> Max;
    public readonly Span<double> Last;
    public readonly Span<int> Count;
    public readonly OffsetColumn LastOffsetMs;
    public readonly OffsetColumn FirstOffsetMs;

    public BucketColumns(Span<double> sum, Span<double> min, Span<double> max, Span<double> last, Span<int> count, OffsetColumn lastOffsetMs, OffsetColumn firstOffsetMs)
    {
        Sum = sum;
        Min = min;
        Max = max;
        Last = last;
        Count = count;
        LastOffsetMs = lastOffsetMs;
        FirstOffsetMs = firstOffsetMs;
    }

    public int Length => Count.Length;

    public BucketColumns Slice(int start, int length) => new(
        Sum.Slice(start, length),
        Min.Slice(start, length),
        Max.Slice(start, length),
        Last.Slice(start, length),
        Count.Slice(start, length),
        LastOffsetMs.Slice(start, length),
        FirstOffsetMs.Slice(start, length));

    public Bucket this[int index] => new(Sum[index], Min[index], Max[index], Last[index], Count[index], LastOffsetMs[index], FirstOffsetMs[index]);

    public void Set(int index, in Bucket bucket)
    {
        Sum[index] = bucket.Sum;
        Min[index] = bucket.Min;
        Max[index] = bucket.Max;
        Last[index] = bucket.Last;
        Count[index] = bucket.Count;
        LastOffsetMs.Set(index, bucket.LastOffsetMs);
        FirstOffsetMs.Set(index, bucket.FirstOffsetMs);
    }

    public void Clear(int index) => Set(index, default);

    /// <summary>
    /// Folds a rollup of later points into the bucket at <paramref name="index"/>: their sum is added
    /// after the bucket's, and an unknown first offset on either side stays unknown.
    /// </summary>
    public void Merge(int index, in Bucket part)
    {
        ref var count = ref Count[index];
        if (count == 0)
        {
            Set(index, part);
            return;
        }

        Sum[index] += part.Sum;
        Min[index] = Math.Min(Min[index], part.Min);
        Max[index] = Math.Max(Max[index], part.Max);
        if (part.LastOffsetMs >= LastOffsetMs[index])
        {
            Last[index] = part.Last;
            LastOffsetMs.Set(index, part.LastOffsetMs);
        }

        FirstOffsetMs.Set(index, part.FirstOffsetMs == Bucket.UnknownOffset ? Bucket.UnknownOffset : Math.Min(FirstOffsetMs[index], part.FirstOffsetMs));
        count += part.Count;
    }

    /// <summary>
    /// Value of the earlier of a two-point bucket's points (offset <see cref="FirstOffsetMs"/>):
    /// the one of min and max that is not the last point's value (compared bit for bit, so −0 and
    /// +0 are told apart).
    /// </summary>
    public double EarlierOfTwo(int index) =>
        BitConverter.DoubleToInt64Bits(Last[index]) == BitConverter.DoubleToInt64Bits(Max[index]) ? Min[index] : Max[index];

    public void Clear()
    {
        Sum.Clear();
        Min.Clear();
        Max.Clear();
        Last.Clear();
        Count.Clear();
        LastOffsetMs.Clear();
        FirstOffsetMs.Clear();
    }

    /// <summary>Folds one point into the bucket at <paramref name="index"/>.</summary>
    public void Add(int index, int offsetMs, double value)
    {
        ref var count = ref Count[index];
        if (count == 0)
        {
            Sum[index] = value;
            Min[index] = value;
            Max[index] = value;
            Last[index] = value;
            LastOffsetMs.Set(index, offsetMs);
            FirstOffsetMs.Set(index, offsetMs);
            count = 1;
            return;
        }

        // An unknown first offset (−1) stays unknown: it is below every offset.
        FirstOffsetMs.Lower(index, offsetMs);

        Sum[index] += value;
        Min[index] = Math.Min(Min[index], value);
        Max[index] = Math.Max(Max[index], value);
        // ">=": among points with the same timestamp the one that arrived last wins.
        if (offsetMs >= LastOffsetMs[index])
        {
            Last[index] = value;
            LastOffsetMs.Set(index, offsetMs);
        }

        count++;
    }
}

/// <summary>
/// A column of millisecond offsets inside a bucket (or <see cref="Bucket.UnknownOffset"/>), read
/// and written as ints. M6: a store whose buckets are at most <see cref="NarrowMaxResolutionMs"/>
/// wide (every tier up to 1 h windows) keeps them as <c>ushort</c> (<see cref="ushort.MaxValue"/>
/// for unknown), exact because an offset is below the resolution; wider buckets keep ints.
/// </summary>
internal readonly ref struct OffsetColumn
{
    /// <summary>Widest bucket whose offsets fit a <c>ushort</c> with one value left for unknown.</summary>
    public const long NarrowMaxResolutionMs = ushort.MaxValue;

    private const ushort NarrowUnknown = ushort.MaxValue;

    private readonly Span<ushort> _narrow;
    private readonly Span<int> _wide;

    public OffsetColumn(Span<ushort> narrow)
    {
        _narrow = narrow;
    }

    public OffsetColumn(Span<int> wide)
    {
        _wide = wide;
    }

    /// <summary>Whether this column keeps offsets as ints (null for an empty narrow column too).</summary>
    private bool IsWide => _narrow.IsEmpty;

    public int Length => IsWide ? _wide.Length : _narrow.Length;

    public int this[int index] => IsWide ? _wide[index] : Widen(_narrow[index]);

    public OffsetColumn Slice(int start, int length) => IsWide ? new(_wide.Slice(start, length)) : new(_narrow.Slice(start, length));

    public void Set(int index, int offsetMs)
    {
        if (IsWide)
        {
            _wide[index] = offsetMs;
            return;
        }

        Invariant.Check(offsetMs >= Bucket.UnknownOffset && offsetMs < NarrowUnknown, "an offset of a narrow column is below its bucket's width");
        _narrow[index] = offsetMs == Bucket.UnknownOffset ? NarrowUnknown : (ushort)offsetMs;
    }

    /// <summary>Sets the offset at <paramref name="index"/> to the smaller of it and <paramref name="offsetMs"/> (unknown, −1, stays).</summary>
    public void Lower(int index, int offsetMs)
    {
        if (IsWide)
        {
            ref var wide = ref _wide[index];
            wide = Math.Min(wide, offsetMs);
            return;
        }

        ref var narrow = ref _narrow[index];
        if (narrow != NarrowUnknown && offsetMs < narrow)
        {
            Set(index, offsetMs);
        }
    }

    public void Clear()
    {
        _narrow.Clear();
        _wide.Clear();
    }

    private static int Widen(ushort offset) => offset == NarrowUnknown ? Bucket.UnknownOffset : offset;
}
