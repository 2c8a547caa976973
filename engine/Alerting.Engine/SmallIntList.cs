using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Alerting.Engine;

/// <summary>
/// A list of ints that holds a lone item inline, for the many lists of the state that mostly hold
/// one: a group's series ids and slots (most groups read one series), the slots of a monitor name,
/// a scope index postings list (M6: 32 B for one item instead of a <see cref="List{T}"/> and its
/// array, 64 B). From the second item on the items live in an array that doubles.
/// </summary>
[CollectionBuilder(typeof(SmallIntList), nameof(Create))]
public sealed class SmallIntList : IReadOnlyList<int>
{
    private int _count;

    /// <summary>The item while there is one and <see cref="_items"/> is null.</summary>
    private int _first;

    /// <summary>Every item once the list held two (null before): [0, <see cref="_count"/>) are in use.</summary>
    private int[]? _items;

    public int Count => _count;

    /// <summary>A list of <paramref name="items"/>, in their order (what <c>[a, b]</c> builds).</summary>
    public static SmallIntList Create(ReadOnlySpan<int> items)
    {
        var list = new SmallIntList();
        foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    public int this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                throw new ArgumentOutOfRangeException(nameof(index), index, $"The list holds {_count} items.");
            }

            return _items is null ? _first : _items[index];
        }
    }

    /// <summary>The items, in order (valid until the list next changes).</summary>
    public ReadOnlySpan<int> AsSpan() =>
        _items is not null ? _items.AsSpan(0, _count) : _count == 0 ? default : MemoryMarshal.CreateReadOnlySpan(ref _first, 1);

    public void Add(int item) => Insert(_count, item);

    public void Insert(int index, int item)
    {
        if ((uint)index > (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The list holds {_count} items.");
        }

        if (_count == 0 && _items is null)
        {
            _first = item;
            _count = 1;
            return;
        }

        if (_items is null)
        {
            _items = new int[4];
            _items[0] = _first;
            _first = 0;
        }
        else if (_count == _items.Length)
        {
            Array.Resize(ref _items, checked(_items.Length * 2));
        }

        Array.Copy(_items, index, _items, index + 1, _count - index);
        _items[index] = item;
        _count++;
    }

    public void RemoveAt(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The list holds {_count} items.");
        }

        _count--;
        if (_items is null)
        {
            _first = 0;
            return;
        }

        Array.Copy(_items, index + 1, _items, index, _count - index);
        _items[_count] = 0;
    }

    /// <summary>As <see cref="List{T}.BinarySearch(T)"/>: the index of the item, or the complement of where it would go.</summary>
    public int BinarySearch(int item) => AsSpan().BinarySearch(item);

    /// <summary>Enumerates without allocating (do not change the list meanwhile).</summary>
    public ReadOnlySpan<int>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    IEnumerator<int> IEnumerable<int>.GetEnumerator() => ((IEnumerable<int>)AsSpan().ToArray()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<int>)this).GetEnumerator();
}
