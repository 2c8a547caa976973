using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Alerting.Replication;

/// <summary>
/// Always-on invariant checks for the consensus core. This library depends on nothing in the
/// engine, so it carries its own copy of the engine's <c>Invariant.Check</c>: a failed check is a
/// bug in the core (or a shell breaking the <see cref="Ready"/> contract), never a user error.
/// </summary>
internal static class Invariant
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check([DoesNotReturnIf(false)] bool condition, string invariant)
    {
        if (!condition)
        {
            Fail(invariant);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fail(string invariant) =>
        throw new ReplicationInvariantException("replication invariant violated: " + invariant);
}
