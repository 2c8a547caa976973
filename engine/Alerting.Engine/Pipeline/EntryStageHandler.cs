using Alerting.Engine.Ring;

namespace Alerting.Engine.Pipeline;

/// <summary>Runs an <see cref="IEntryStage"/> on the input ring: hands it each journaled entry and skips reads.</summary>
internal readonly struct EntryStageHandler(IEntryStage stage) : IEventHandler<InputSlot>
{
    public void OnStart()
    {
    }

    public void OnEvent(ref InputSlot data, long sequence, bool endOfBatch)
    {
        if (data.Query is null)
        {
            stage.OnJournaled(new JournaledEntry(data.Index, data.Term, data.Payload));
        }

        if (endOfBatch)
        {
            stage.OnBatchEnd();
        }
    }

    public void OnShutdown()
    {
    }
}
