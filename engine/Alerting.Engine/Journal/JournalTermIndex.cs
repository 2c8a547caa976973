namespace Alerting.Engine.Journal;

/// <summary>
/// Term of every index the journal holds, kept as runs: a sorted list of (first index, term),
/// one run per term change. Terms change rarely (one per election), so the list stays a few
/// entries long whatever the log's length, and a lookup is a binary search over it.
/// Written by the appending thread, read from any thread: an append in the same term only
/// publishes the new last index (no lock); a new term, a truncation or a lookup takes the lock.
/// </summary>
internal sealed class JournalTermIndex
{
    private readonly Lock _gate = new();
    private readonly List<long> _starts = [];
    private readonly List<ulong> _terms = [];
    private long _first = 1;
    private long _last;

    // The appending thread's view of the newest run, so an append in the same term takes no lock.
    // Only the appending thread writes them (Append, TruncateAfter and Reset run on it).
    private bool _hasTail;
    private ulong _tailTerm;

    /// <summary>Number of runs (one per term present in the kept log).</summary>
    public int RunCount
    {
        get
        {
            lock (_gate)
            {
                return _starts.Count;
            }
        }
    }

    /// <summary>Starts an empty map whose first index will be <paramref name="firstIndex"/>.</summary>
    public void Reset(long firstIndex)
    {
        lock (_gate)
        {
            _starts.Clear();
            _terms.Clear();
            _first = firstIndex;
            _last = firstIndex - 1;
            _hasTail = false;
        }
    }

    /// <summary>Records that <paramref name="index"/> (the next one) has <paramref name="term"/>.</summary>
    public void Append(long index, ulong term)
    {
        Invariant.Check(index == Volatile.Read(ref _last) + 1, "term map: indexes are appended contiguously");
        if (_hasTail && term == _tailTerm)
        {
            // Readers take the lock and read _last after it; the run they find already covers index.
            Volatile.Write(ref _last, index);
            return;
        }

        lock (_gate)
        {
            Invariant.Check(!_hasTail || term > _tailTerm, "term map: terms never decrease along the log");
            _starts.Add(index);
            _terms.Add(term);
            _last = index;
            _hasTail = true;
            _tailTerm = term;
        }
    }

    /// <summary>Forgets indexes before <paramref name="index"/>.</summary>
    public void TruncateBefore(long index)
    {
        lock (_gate)
        {
            // Keep the run that covers `index`; drop the runs wholly before it.
            int keep = 0;
            while (keep + 1 < _starts.Count && _starts[keep + 1] <= index)
            {
                keep++;
            }

            _starts.RemoveRange(0, keep);
            _terms.RemoveRange(0, keep);
            if (_starts.Count > 0 && _starts[0] < index)
            {
                _starts[0] = index;
            }

            // The journal truncates only kept, durable entries, so _last (the appender's) stays put.
            _first = index;
        }
    }

    /// <summary>Forgets indexes after <paramref name="index"/>.</summary>
    public void TruncateAfter(long index)
    {
        lock (_gate)
        {
            while (_starts.Count > 0 && _starts[^1] > index)
            {
                _starts.RemoveAt(_starts.Count - 1);
                _terms.RemoveAt(_terms.Count - 1);
            }

            _last = Math.Min(_last, index);
            _hasTail = _terms.Count > 0;
            _tailTerm = _hasTail ? _terms[^1] : 0;
        }
    }

    public bool TryGetTerm(long index, out ulong term)
    {
        if (index == 0)
        {
            term = 0;
            return true;
        }

        lock (_gate)
        {
            if (index < _first || index > Volatile.Read(ref _last) || _starts.Count == 0)
            {
                term = 0;
                return false;
            }

            int at = _starts.BinarySearch(index);
            term = _terms[at >= 0 ? at : ~at - 1];
            return true;
        }
    }
}
