namespace Alerting.Engine.Evaluation;

/// <summary>
/// View of one series' ring of buckets inside a <see cref="SeriesStore"/>.
/// </summary>
/// <remarks>
/// Bucket number b (= ⌊unixMs / resolution⌋) lives at ring index b mod L (L = ring length).
/// <see cref="Head"/> is the newest bucket number that received a point. Invariant: a bucket
/// b is held by the ring exactly when Head − L &lt; b ≤ Head; every other ring entry is empty
/// (all zeros), because advancing the head clears the entries it takes over.
/// </remarks>
public readonly ref struct SeriesWindow
{
    /// <summary>Head of a live series that has not received a point yet.</summary>
    public const long NoData = long.MinValue + 1;

    private readonly BucketColumns _ring;
    private readonly ref long _head;

    internal SeriesWindow(BucketColumns ring, ref long head)
    {
        _ring = ring;
        _head = ref head;
    }

    /// <summary>Newest bucket number holding a point, or <see cref="NoData"/>.</summary>
    public long Head => _head;

    /// <summary>Number of buckets in the ring.</summary>
    public int Length => _ring.Length;

    /// <summary>Whether bucket <paramref name="bucketNumber"/> is inside the retained range of this ring.</summary>
    public bool Holds(long bucketNumber) => _head != NoData && bucketNumber <= _head && bucketNumber > _head - _ring.Length;

    /// <summary>The bucket numbered <paramref name="bucketNumber"/>; empty when the ring does not hold it.</summary>
    public Bucket this[long bucketNumber] => Holds(bucketNumber) ? _ring[IndexOf(bucketNumber)] : default;

    /// <summary>The bucket at ring index <paramref name="index"/>, whatever bucket number it holds.</summary>
    public Bucket AtIndex(int index) => _ring[index];

    /// <summary>Ring index of a bucket number (floor modulo, so pre-1970 buckets work too).</summary>
    public int IndexOf(long bucketNumber)
    {
        var index = bucketNumber % _ring.Length;
        return (int)(index < 0 ? index + _ring.Length : index);
    }

    /// <summary>
    /// Folds a point into bucket <paramref name="bucketNumber"/> (at ring index
    /// <paramref name="ringIndex"/> = <see cref="IndexOf"/>, computed by the caller without a
    /// division), advancing the head and clearing the buckets it passes when the point is newer.
    /// The caller has checked that the bucket is not older than the ring holds.
    /// </summary>
    internal void Add(long bucketNumber, int ringIndex, int offsetMs, double value)
    {
        MoveHeadTo(bucketNumber, ringIndex);
        _ring.Add(ringIndex, offsetMs, value);
    }

    /// <summary>
    /// Folds the rollup of some points (<paramref name="part"/>, offsets inside bucket
    /// <paramref name="bucketNumber"/>, stamped no earlier than the bucket's points) into that bucket,
    /// moving the head as <see cref="Add"/> does. For re-bucketing a store into a coarser layout.
    /// </summary>
    internal void Merge(long bucketNumber, int ringIndex, in Bucket part)
    {
        MoveHeadTo(bucketNumber, ringIndex);
        _ring.Merge(ringIndex, part);
    }

    private void MoveHeadTo(long bucketNumber, int ringIndex)
    {
        Invariant.Check(ringIndex == IndexOf(bucketNumber), "ring index must match the bucket number");
        if (_head == NoData)
        {
            _head = bucketNumber;
        }
        else if (bucketNumber > _head)
        {
            var advance = bucketNumber - _head;
            if (advance >= _ring.Length)
            {
                _ring.Clear();
            }
            else
            {
                // The buckets head + 1 … bucketNumber sit just behind ringIndex, wrapping.
                var index = ringIndex;
                for (var i = 0; i < advance; i++)
                {
                    _ring.Clear(index);
                    index = index == 0 ? _ring.Length - 1 : index - 1;
                }
            }

            _head = bucketNumber;
        }

        Invariant.Check(Holds(bucketNumber), "a point's bucket must be inside the ring after the head moved");
    }
}
