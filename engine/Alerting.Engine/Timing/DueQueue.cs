namespace Alerting.Engine.Timing;

/// <summary>
/// Binary min-heap of due instances ordered by (due, sequence), for the instances that join a running
/// advance after its <see cref="DueBatch"/> was sorted: timers scheduled or re-armed by a callback with a
/// due inside the advance (after a jump longer than a period, every missed instant of a periodic timer).
/// Pre-allocated as large as the pool, so the firing order is exact without a per-advance allocation.
/// </summary>
internal sealed class DueQueue
{
    private DueInstance[] _items;

    public DueQueue(int capacity)
    {
        _items = new DueInstance[capacity];
    }

    public int Count { get; private set; }

    public int Capacity => _items.Length;

    /// <summary>Grows to <paramref name="capacity"/>; called when the timer pool grows, never on the firing path.</summary>
    public void Grow(int capacity)
    {
        Invariant.Check(capacity >= _items.Length, "the due queue never shrinks");
        Array.Resize(ref _items, capacity);
    }

    public void Push(in DueInstance item)
    {
        // Every pool entry is in the queue at most once, and the queue is as large as the pool.
        Invariant.Check(Count < _items.Length, "due queue larger than the timer pool");
        var items = _items;
        int i = Count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!item.FiresBefore(items[parent]))
            {
                break;
            }

            items[i] = items[parent];
            i = parent;
        }

        items[i] = item;
    }

    /// <summary>The instance <see cref="Pop"/> would return; the queue must not be empty.</summary>
    public ref readonly DueInstance Peek()
    {
        Invariant.Check(Count > 0, "peek at an empty due queue");
        return ref _items[0];
    }

    public DueInstance Pop()
    {
        Invariant.Check(Count > 0, "pop from an empty due queue");
        var items = _items;
        var top = items[0];
        int last = --Count;
        if (last > 0)
        {
            var moving = items[last];
            int i = 0;
            while (true)
            {
                int child = (i << 1) + 1;
                if (child >= last)
                {
                    break;
                }

                if (child + 1 < last)
                {
                    child += items[child + 1].FiresBefore(items[child]) ? 1 : 0;
                }

                if (!items[child].FiresBefore(moving))
                {
                    break;
                }

                items[i] = items[child];
                i = child;
            }

            items[i] = moving;
        }

        return top;
    }
}
