namespace Alerting.Engine.Ring;

/// <summary>
/// A consumer stage of a ring (journaler, replicator, state machine). Implement it on a struct and pass the
/// struct as the type argument of <see cref="BatchEventProcessor{T, THandler}"/> so the JIT inlines the calls.
/// </summary>
public interface IEventHandler<T>
    where T : struct
{
    /// <summary>Called once on the processor thread before the first event.</summary>
    void OnStart();

    /// <summary>
    /// Handles the published slot at <paramref name="sequence"/>. <paramref name="endOfBatch"/> is true on the last
    /// event before the processor publishes its progress: the place to flush or group-commit.
    /// </summary>
    void OnEvent(ref T data, long sequence, bool endOfBatch);

    /// <summary>Called once on the processor thread after it stopped, normally or because a handler call threw.</summary>
    void OnShutdown();
}
