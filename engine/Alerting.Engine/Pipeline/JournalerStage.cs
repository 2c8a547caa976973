using Alerting.Engine.Journal;
using Alerting.Engine.Ring;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// First consumer of the input ring: gives every entry its log index by appending it to the
/// journal. Durability is the journal's commit thread's job (group commit); this stage only
/// appends, so it never waits for an fsync. It keeps the slot's payload: the stages beside it
/// (the replicator) read it, and the state machine clears it.
/// </summary>
internal struct JournalerStage : IEventHandler<InputSlot>
{
    private readonly IJournal _journal;
    private readonly ulong _term;

    public JournalerStage(IJournal journal, ulong term)
    {
        _journal = journal;
        _term = term;
    }

    public readonly void OnStart()
    {
    }

    public readonly void OnEvent(ref InputSlot data, long sequence, bool endOfBatch)
    {
        if (data.Query is not null)
        {
            return;
        }

        if (data.Replicated)
        {
            _journal.AppendAt(data.Index, data.Term, data.Payload);
            return;
        }

        data.Index = _journal.Append(data.Payload, _term);
        data.Term = _term;
    }

    public readonly void OnShutdown()
    {
    }
}
