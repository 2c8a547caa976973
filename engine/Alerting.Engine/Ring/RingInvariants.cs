using System.Numerics;

namespace Alerting.Engine.Ring;

/// <summary>Checks of the ring's sizing rules, shared by the sequencers and the ring buffer.</summary>
internal static class RingInvariants
{
    /// <summary>
    /// Throws unless <paramref name="bufferSize"/> is a power of two of at least one: slots are found by masking
    /// the sequence, and the multi-producer availability flags store the sequence shifted by log2(size).
    /// </summary>
    public static void RequirePowerOfTwo(int bufferSize)
    {
        if (bufferSize < 1 || !BitOperations.IsPow2(bufferSize))
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "The ring size must be a power of two, at least 1.");
        }
    }

    /// <summary>Throws unless 1 &lt;= <paramref name="n"/> &lt;= <paramref name="bufferSize"/>: a claim larger than the ring would wait forever.</summary>
    public static void RequireClaimSize(int n, int bufferSize)
    {
        if (n < 1 || n > bufferSize)
        {
            ThrowClaimSize(n, bufferSize);
        }
    }

    private static void ThrowClaimSize(int n, int bufferSize) =>
        throw new ArgumentOutOfRangeException(nameof(n), n, $"A claim must be between 1 and the ring size ({bufferSize}) slots.");
}
