namespace Alerting.Engine.Tests;

/// <summary>
/// Bytes a piece of steady-state work allocates on the calling thread. The runtime itself may
/// allocate on a thread once, at a moment that depends on machine load (tiered compilation
/// promoting a hot method, on-stack replacement of a long loop), so the work is measured up to
/// <see cref="Attempts"/> times and the least is returned: a real per-call allocation shows in
/// every attempt, a one-off runtime allocation in at most one.
/// </summary>
internal static class AllocationProbe
{
    public const int Attempts = 3;

    public static long SteadyBytes(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var least = long.MaxValue;
        for (var attempt = 0; attempt < Attempts && least != 0; attempt++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
