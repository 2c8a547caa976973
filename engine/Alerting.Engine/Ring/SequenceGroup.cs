namespace Alerting.Engine.Ring;

/// <summary>
/// Operations on a set of sequences held in a copy-on-write array, so readers scan it without locks.
/// </summary>
internal static class SequenceGroup
{
    /// <summary>The lowest value in <paramref name="sequences"/>, or <paramref name="minimum"/> when it is lower (or the set is empty).</summary>
    public static long GetMinimumSequence(Sequence[] sequences, long minimum)
    {
        for (var i = 0; i < sequences.Length; i++)
        {
            var value = sequences[i].Value;
            if (value < minimum)
            {
                minimum = value;
            }
        }

        return minimum;
    }

    /// <summary>
    /// Adds <paramref name="added"/> to the array in <paramref name="field"/>; each added sequence first takes the
    /// cursor's value so a consumer joining late does not hold producers back to sequences it will never read.
    /// </summary>
    public static void Add(ref Sequence[] field, Sequence cursor, Sequence[] added)
    {
        ArgumentNullException.ThrowIfNull(added);
        Sequence[] current;
        Sequence[] next;
        do
        {
            current = Volatile.Read(ref field);
            next = new Sequence[current.Length + added.Length];
            Array.Copy(current, next, current.Length);
            var cursorValue = cursor.Value;
            for (var i = 0; i < added.Length; i++)
            {
                ArgumentNullException.ThrowIfNull(added[i]);
                added[i].SetValue(cursorValue);
                next[current.Length + i] = added[i];
            }
        }
        while (Interlocked.CompareExchange(ref field, next, current) != current);

        // A producer may have moved the cursor between the copy and the swap; re-pin so no added
        // sequence sits behind a slot that producers already consider free.
        var latest = cursor.Value;
        foreach (var sequence in added)
        {
            sequence.SetValue(latest);
        }
    }
}
