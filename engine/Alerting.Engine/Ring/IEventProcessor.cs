namespace Alerting.Engine.Ring;

/// <summary>
/// A running consumer stage seen without its handler type, so a pipeline can hold its stages in
/// one list: start them, gate later stages and producers on their sequences, halt and await them.
/// </summary>
public interface IEventProcessor
{
    /// <summary>This stage's progress: every sequence up to it has been handled.</summary>
    Sequence Sequence { get; }

    /// <summary>Completes when the loop ended; faulted with the handler's exception if one stopped it.</summary>
    Task Stopped { get; }

    /// <summary>Starts the loop on a new background thread named <paramref name="threadName"/>.</summary>
    Task Start(string threadName);

    /// <summary>Asks the loop to stop after the batch in hand.</summary>
    void Halt();
}
