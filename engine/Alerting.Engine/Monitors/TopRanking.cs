using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Monitors;

/// <summary>
/// The first N groups of a <c>top()</c> monitor, chosen in one pass over its groups with a heap
/// of N (O(groups × log N), allocated once per compiled monitor): ranked by value in the
/// monitor's direction, ties broken by group key (ordinal, the smaller first), so the choice
/// does not depend on the order groups are offered in.
/// </summary>
internal sealed class TopRanking
{
    private readonly double[] _values;
    private readonly MonitorGroup[] _groups;
    private readonly bool _descending;
    private int _count;

    public TopRanking(TopSpec top)
    {
        ArgumentNullException.ThrowIfNull(top);
        _values = new double[top.Limit];
        _groups = new MonitorGroup[top.Limit];
        _descending = top.Descending;
    }

    /// <summary>Starts a ranking.</summary>
    public void Clear()
    {
        Array.Clear(_groups, 0, _count);
        _count = 0;
    }

    /// <summary>Offers a group with its rank value; keeps it if it is among the first N so far.</summary>
    public void Offer(double value, MonitorGroup group)
    {
        Invariant.Check(double.IsFinite(value), "a rank value is finite");
        if (_count < _values.Length)
        {
            var at = _count++;
            _values[at] = value;
            _groups[at] = group;
            SiftUp(at);
        }
        else if (After(_values[0], _groups[0], value, group))
        {
            // The root is the last of the kept N: the new group goes before it.
            _values[0] = value;
            _groups[0] = group;
            SiftDown(0);
        }
    }

    /// <summary>Marks the kept groups as in the top N.</summary>
    public void MarkKept()
    {
        for (var i = 0; i < _count; i++)
        {
            _groups[i].InTop = true;
        }
    }

    // Whether (a, ka) ranks after (b, kb).
    private bool After(double a, MonitorGroup ga, double b, MonitorGroup gb)
    {
        if (a != b)
        {
            return _descending ? a < b : a > b;
        }

        return string.CompareOrdinal(ga.Key, gb.Key) > 0;
    }

    // The heap keeps the group ranked last at the root: a parent ranks after its children.
    private void SiftUp(int at)
    {
        while (at > 0)
        {
            var parent = (at - 1) / 2;
            if (!After(_values[at], _groups[at], _values[parent], _groups[parent]))
            {
                return;
            }

            Swap(at, parent);
            at = parent;
        }
    }

    private void SiftDown(int at)
    {
        while (true)
        {
            var last = at;
            var left = (2 * at) + 1;
            var right = left + 1;
            if (left < _count && After(_values[left], _groups[left], _values[last], _groups[last]))
            {
                last = left;
            }

            if (right < _count && After(_values[right], _groups[right], _values[last], _groups[last]))
            {
                last = right;
            }

            if (last == at)
            {
                return;
            }

            Swap(at, last);
            at = last;
        }
    }

    private void Swap(int i, int j)
    {
        (_values[i], _values[j]) = (_values[j], _values[i]);
        (_groups[i], _groups[j]) = (_groups[j], _groups[i]);
    }
}
