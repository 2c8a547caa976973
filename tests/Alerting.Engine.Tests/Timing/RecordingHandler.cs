using Alerting.Engine.Timing;

namespace Alerting.Engine.Tests.Timing;

/// <summary>Test handler: records every firing and runs an optional action inside the callback.</summary>
internal struct RecordingHandler : ITimerHandler
{
    public RecordingHandler(Action<TimerHandle, long, long>? onFire = null)
    {
        Firings = [];
        OnFire = onFire;
    }

    public List<(TimerHandle Handle, long Payload, long DueMs)> Firings { get; }

    public Action<TimerHandle, long, long>? OnFire { get; }

    public readonly void OnTimer(TimerHandle handle, long payload, long dueMs)
    {
        Firings.Add((handle, payload, dueMs));
        OnFire?.Invoke(handle, payload, dueMs);
    }
}
