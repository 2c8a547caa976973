using Alerting.Engine.Ring;

namespace Alerting.Engine.Tests.Ring;

/// <summary>Builds rings and wait strategies from the names used in theory data.</summary>
internal static class RingFactory
{
    public const string Single = "single";
    public const string Multi = "multi";

    public static IWaitStrategy WaitStrategy(string name) => name switch
    {
        nameof(BusySpinWaitStrategy) => new BusySpinWaitStrategy(),
        nameof(YieldingWaitStrategy) => new YieldingWaitStrategy(),
        nameof(SleepingWaitStrategy) => new SleepingWaitStrategy(),
        nameof(BlockingWaitStrategy) => new BlockingWaitStrategy(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown wait strategy"),
    };

    public static ISequencer Sequencer(string kind, int bufferSize, IWaitStrategy waitStrategy) => kind switch
    {
        Single => new SingleProducerSequencer(bufferSize, waitStrategy),
        Multi => new MultiProducerSequencer(bufferSize, waitStrategy),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sequencer kind"),
    };

    public static RingBuffer<T> Ring<T>(string kind, int bufferSize, IWaitStrategy waitStrategy)
        where T : struct => new(Sequencer(kind, bufferSize, waitStrategy));

    /// <summary>Generous bound for a test's completion; reaching it is a failure, never a synchronisation.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Awaits <paramref name="task"/> up to <see cref="Timeout"/>; false when it did not complete in time.</summary>
    public static async Task<bool> CompletesInTime(Task task)
    {
        try
        {
            await task.WaitAsync(Timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
