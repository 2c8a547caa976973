namespace Alerting.Engine.Pipeline;

/// <summary>
/// A ring consumer beside the journaler (the replicator's place): it sees every journaled entry,
/// in log order, with its index and term, on its own thread, after the journaler appended it and
/// before the state machine applies it. The state machine is gated on every stage, so an entry
/// is applied only once all of them handled it. A stage must not block for long: the input ring
/// fills behind it and writes are refused (RESOURCE_EXHAUSTED).
/// </summary>
public interface IEntryStage
{
    /// <summary>Names the stage's thread and its faults.</summary>
    string Name { get; }

    /// <summary>Handles one journaled entry.</summary>
    void OnJournaled(in JournaledEntry entry);

    /// <summary>Called after the last entry the stage has for now, before it publishes its progress: the place to flush (ship a batch).</summary>
    void OnBatchEnd();
}

/// <summary>
/// One journaled entry as a stage sees it. <see cref="Payload"/> is the entry's encoding exactly as
/// journaled; its array belongs to this entry alone and is never reused, so a stage may keep it.
/// </summary>
public readonly record struct JournaledEntry(long Index, ulong Term, ReadOnlyMemory<byte> Payload);
