using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Alerting.Engine;

/// <summary>
/// Always-on invariant checks (TigerBeetle style): unlike debug-only assertions they run in the
/// Release builds users run. Keep each check cheap (a comparison, a counter), and let the
/// message name the invariant so a failure reads as the rule it broke.
/// </summary>
public static class Invariant
{
    /// <summary>Throws <see cref="InvariantViolationException"/> naming the invariant when <paramref name="condition"/> is false.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check([DoesNotReturnIf(false)] bool condition, string invariant)
    {
        if (!condition)
        {
            Fail(invariant);
        }
    }

    /// <summary>
    /// Same as <see cref="Check(bool, string)"/>, with the message built only on failure, so a hot
    /// path pays for the comparison and nothing else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check<TState>([DoesNotReturnIf(false)] bool condition, TState state, Func<TState, string> describe)
    {
        if (!condition)
        {
            Fail(describe(state));
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string invariant) => throw new InvariantViolationException("invariant violated: " + invariant);
}
