namespace Alerting.Engine.State;

/// <summary>
/// The last <see cref="Length"/> evaluated states of a group packed two bits each into a ulong
/// (newest in the low bits), and Nagios' weighted percent state change over them.
/// A fresh history is all OK (value 0), as Nagios pre-fills it with the initial state.
/// </summary>
public static class FlapHistory
{
    /// <summary>Number of states kept (Nagios MAX_STATE_HISTORY_ENTRIES).</summary>
    public const int Length = 21;

    private const int BitsPerState = 2;
    private const ulong Mask = (1UL << (Length * BitsPerState)) - 1;

    /// <summary>Appends the newest state, dropping the oldest.</summary>
    public static ulong Push(ulong history, AlertState state) =>
        ((history << BitsPerState) | (byte)state) & Mask;

    /// <summary>The state <paramref name="age"/> evaluations ago (0 = newest).</summary>
    public static AlertState At(ulong history, int age) =>
        (AlertState)((history >> (age * BitsPerState)) & 3);

    /// <summary>
    /// Percent state change: each of the 20 changes between consecutive states weighs linearly from
    /// 0.8 (oldest pair, x = 1) to 1.2 (newest, x = 20): w = 0.8 + 0.4 (x − 1) / 19 = (74 + 2x) / 95.
    /// percent = Σ w · 100 / 20 = Σ (74 + 2x) / 19. Summing integers and dividing once makes the
    /// result exact and independent of summation order.
    /// </summary>
    public static double PercentStateChange(ulong history)
    {
        int units = 0;
        for (int x = 1; x < Length; x++)
        {
            // Pair x compares state s[x-1] with s[x], s[0] the oldest; s[k] has age Length-1-k.
            if (At(history, Length - x) != At(history, Length - 1 - x))
            {
                units += 74 + (2 * x);
            }
        }

        return units / 19.0;
    }
}
