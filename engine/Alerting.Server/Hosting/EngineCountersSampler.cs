using Alerting.Engine.Pipeline;

namespace Alerting.Server.Hosting;

/// <summary>
/// Copies the state machine's counters once per <see cref="SamplePeriod"/> through a
/// linearizable read, so metric callbacks (which must not block and must not touch state the
/// state-machine thread owns) read a recent copy.
/// </summary>
public sealed class EngineCountersSampler(EngineNode node) : BackgroundService
{
    public static readonly TimeSpan SamplePeriod = TimeSpan.FromSeconds(1);

    private volatile Sample _latest = new(0, 0, 0, 0, 0, 0, 0);

    public Sample Latest => _latest;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SamplePeriod);
        try
        {
            do
            {
                // A full ring skips this sample: metrics must not add load when the engine has none to spare.
                if (node.TryQuery(Copy) is { } read)
                {
                    _latest = await read.ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
        catch (ObjectDisposedException)
        {
            // The node was disposed first; nothing left to sample.
        }
    }

    private static Sample Copy(Engine.StateMachine.EngineState state)
    {
        var c = state.Counters;
        return new Sample(c.ScheduledEvaluations, c.CaughtUpEvaluations, c.ArrivalEvaluations, c.GroupEvaluations, state.MonitorCount, state.SeriesCount, state.LogicalTimeMs);
    }

    /// <summary>A copy of the counters at one log position.</summary>
    public sealed record Sample(long ScheduledEvaluations, long CaughtUpEvaluations, long ArrivalEvaluations, long GroupEvaluations, int Monitors, int Series, long LogicalTimeMs);
}
