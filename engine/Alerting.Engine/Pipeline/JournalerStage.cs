using Alerting.Engine.Journal;
using Alerting.Engine.Ring;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// First consumer of the input ring: gives every entry its log index by appending it to the
/// journal. Durability is the journal's commit thread's job (group commit); this stage only
/// appends, so it never waits for an fsync. A failed append records the node's fault and the
/// stage keeps consuming, journaling nothing more. It keeps the slot's payload: the stages beside it
/// (the replicator) read it, and the state machine clears it.
/// </summary>
internal readonly struct JournalerStage : IEventHandler<InputSlot>
{
    private readonly IJournal _journal;
    private readonly ulong _term;
    private readonly PipelineFault _fault;

    public JournalerStage(IJournal journal, ulong term, PipelineFault fault)
    {
        _journal = journal;
        _term = term;
        _fault = fault;
    }

    public void OnStart()
    {
    }

    public void OnEvent(ref InputSlot data, long sequence, bool endOfBatch)
    {
        data.Journaled = false;
        if (data.Query is not null || _fault.Current is not null)
        {
            // A faulted node journals nothing more: the state machine fails the slot.
            return;
        }

        try
        {
            if (data.Replicated)
            {
                _journal.AppendAt(data.Index, data.Term, data.Payload);
            }
            else
            {
                data.Index = _journal.Append(data.Payload, _term);
                data.Term = _term;
            }

            data.Journaled = true;
        }
#pragma warning disable CA1031 // A failed append (full disk) faults the node; it must not stop the ring.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _fault.Record("journaler", e);
        }
    }

    public void OnShutdown()
    {
    }
}
