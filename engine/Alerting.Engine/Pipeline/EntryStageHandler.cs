using Alerting.Engine.Ring;

namespace Alerting.Engine.Pipeline;

/// <summary>
/// Runs an <see cref="IEntryStage"/> on the input ring: hands it each journaled entry and skips
/// reads. Once the node is faulted the stage sees nothing more; a stage that throws faults the node.
/// </summary>
internal readonly struct EntryStageHandler(IEntryStage stage, PipelineFault fault) : IEventHandler<InputSlot>
{
    public void OnStart()
    {
    }

    public void OnEvent(ref InputSlot data, long sequence, bool endOfBatch)
    {
        if (fault.Current is not null)
        {
            return;
        }

        try
        {
            if (data.Query is null && data.Journaled)
            {
                stage.OnJournaled(new JournaledEntry(data.Index, data.Term, data.Payload));
            }

            if (endOfBatch)
            {
                stage.OnBatchEnd();
            }
        }
#pragma warning disable CA1031 // A failing stage faults the node; it must not stop the ring.
        catch (Exception e)
#pragma warning restore CA1031
        {
            fault.Record(stage.Name, e);
        }
    }

    public void OnShutdown()
    {
    }
}
