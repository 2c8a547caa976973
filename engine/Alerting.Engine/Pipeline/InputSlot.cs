using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// One slot of the input ring. A producer fills <see cref="Entry"/> and <see cref="Payload"/>
/// (its encoding), the journaler stamps <see cref="Index"/> and <see cref="Term"/> (on a
/// standby the producer sets them: the primary's, and the journaler appends there), and the
/// state machine applies the entry once it is durable, then clears the references. A slot
/// may instead carry a <see cref="Query"/>: a read of the state that the journaler skips and
/// the state machine runs in its place in the order, so reads see every write before them.
/// </summary>
internal struct InputSlot
{
    public LogEntry? Entry;
    public byte[]? Payload;
    public long Index;
    public ulong Term;

    /// <summary>Set by a standby's producer: <see cref="Index"/> and <see cref="Term"/> are the primary's.</summary>
    public bool Replicated;

    /// <summary>Set by the journaler once the entry is in the journal; a slot without it is failed, never applied.</summary>
    public bool Journaled;
    public TaskCompletionSource<AppliedEntry>? Completion;
    public Func<EngineState, object?>? Query;
    public TaskCompletionSource<object?>? QueryCompletion;
}

/// <summary>Where an entry landed: it is durable and applied at <see cref="Index"/> in <see cref="Term"/>, with what applying it did.</summary>
public readonly record struct AppliedEntry(long Index, ulong Term, ApplyResult Result);
