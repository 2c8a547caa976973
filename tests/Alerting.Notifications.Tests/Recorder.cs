using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Alerting.Notifications.Tests;

/// <summary>Collects the dispatcher's reports and lets a test await the next one (never a sleep).</summary>
internal sealed class Recorder : IDeliveryRecorder
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly Channel<DeliveryReport> _completed = Channel.CreateUnbounded<DeliveryReport>();
    private readonly Channel<RetryReport> _retries = Channel.CreateUnbounded<RetryReport>();
    private readonly Channel<object> _any = Channel.CreateUnbounded<object>();
    private readonly ConcurrentQueue<DeliveryReport> _allCompleted = new();

    public IReadOnlyList<DeliveryReport> AllCompleted => _allCompleted.ToArray();

    public void Completed(in DeliveryReport report)
    {
        _allCompleted.Enqueue(report);
        _completed.Writer.TryWrite(report);
        _any.Writer.TryWrite(report);
    }

    public void RetryScheduled(in RetryReport report)
    {
        _retries.Writer.TryWrite(report);
        _any.Writer.TryWrite(report);
    }

    /// <summary>The next report of either kind, for tests that read only this stream.</summary>
    public Task<object> NextAnyAsync() => _any.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public Task<DeliveryReport> NextCompletedAsync() => _completed.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public Task<RetryReport> NextRetryAsync() => _retries.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

    public bool HasUnreadRetry => _retries.Reader.TryPeek(out _);
}
