namespace Alerting.Engine.Journal;

/// <summary>
/// Sparse map from log index to FasterLog address: one entry every
/// <see cref="JournalOptions.SparseIndexInterval"/> entries, so finding an index costs at most
/// that many record skips. Written by the appending thread, read by scanners on other threads;
/// a lock is fine because it is taken once per interval, not per entry.
/// Size is bounded by (LastIndex - FirstIndex) / interval; truncation drops the prefix.
/// </summary>
internal sealed class JournalAddressIndex
{
    private readonly Lock _gate = new();
    private readonly List<long> _indexes = [];
    private readonly List<long> _addresses = [];

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _indexes.Count;
            }
        }
    }

    public void Add(long index, long address)
    {
        lock (_gate)
        {
            if (_indexes.Count > 0 && _indexes[^1] >= index)
            {
                throw new InvalidOperationException($"Invariant: sparse index entries are added in increasing index order ({_indexes[^1]} then {index}).");
            }

            _indexes.Add(index);
            _addresses.Add(address);
        }
    }

    /// <summary>The greatest entry with index ≤ <paramref name="index"/>, if any.</summary>
    public bool TryFloor(long index, out long floorIndex, out long address)
    {
        lock (_gate)
        {
            int position = _indexes.BinarySearch(index);
            if (position < 0)
            {
                position = ~position - 1;
            }

            if (position < 0)
            {
                floorIndex = 0;
                address = 0;
                return false;
            }

            floorIndex = _indexes[position];
            address = _addresses[position];
            return true;
        }
    }

    /// <summary>Drops entries below <paramref name="index"/> and records <paramref name="address"/> as its start.</summary>
    public void TruncateBefore(long index, long address)
    {
        lock (_gate)
        {
            int position = _indexes.BinarySearch(index);
            int remove = position >= 0 ? position : ~position;
            _indexes.RemoveRange(0, remove);
            _addresses.RemoveRange(0, remove);
            if (_indexes.Count == 0 || _indexes[0] != index)
            {
                _indexes.Insert(0, index);
                _addresses.Insert(0, address);
            }
        }
    }
}
