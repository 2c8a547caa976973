namespace Alerting.Client;

/// <summary>
/// Capped exponential backoff with "equal jitter": before retry <c>n</c> (from 0) the cap is
/// <c>min(max, initial × 2^n)</c> and the delay is half of it plus a random part of the other
/// half, so retries always back off and many clients retrying at once spread out. The random
/// source is injected: a seeded <see cref="Random"/> replays the same delays.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _initial;
    private readonly TimeSpan _max;
    private readonly Random _jitter;

    public Backoff(TimeSpan initial, TimeSpan max, Random jitter)
    {
        ArgumentNullException.ThrowIfNull(jitter);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(initial, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, initial);
        _initial = initial;
        _max = max;
        _jitter = jitter;
    }

    /// <summary>The largest delay before retry <paramref name="retry"/> (0-based).</summary>
    public TimeSpan Cap(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retry);
        // 2^30 × any positive initial already exceeds any sensible cap; stop doubling there.
        var ticks = _initial.Ticks * (double)(1L << Math.Min(retry, 30));
        return ticks >= _max.Ticks ? _max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>The delay before retry <paramref name="retry"/>: between half the cap and the cap.</summary>
    public TimeSpan Delay(int retry)
    {
        var cap = Cap(retry);
        double fraction;
        lock (_jitter)
        {
            fraction = _jitter.NextDouble();
        }

        return TimeSpan.FromTicks((long)(cap.Ticks / 2.0 * (1 + fraction)));
    }
}
