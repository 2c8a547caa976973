using Alerting.Engine.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Alerting.Server.Hosting;

/// <summary>
/// The transition history against its byte bound: unhealthy while events a notification endpoint
/// still waited for have been dropped and the outbox has not passed them (those notifications are
/// lost, see <c>alerting.history.pending_dropped</c>); degraded above <see cref="DegradedFraction"/>
/// of the bound (an endpoint that does not drain is holding events). Reads the history's own
/// counters, not the state-machine thread.
/// </summary>
public sealed class HistoryHealthCheck(EngineNode node) : IHealthCheck
{
    /// <summary>Share of <c>TransitionHistory.MaxBytes</c> above which the node reports degraded.</summary>
    public const double DegradedFraction = 0.8;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var history = node.History;
        return Task.FromResult(Evaluate(history.Count, history.Bytes, history.MaxBytes, history.OverBoundBeforeIndex, history.PendingDropped));
    }

    internal static HealthCheckResult Evaluate(long count, long bytes, long maxBytes, long overBoundBeforeIndex, long pendingDropped)
    {
        if (overBoundBeforeIndex > 0)
        {
            return HealthCheckResult.Unhealthy(
                $"the transition history reached its byte bound ({maxBytes} bytes) and dropped {pendingDropped} event(s) a notification endpoint still waited for, up to log index {overBoundBeforeIndex - 1}: see 'alertctl notifications' for the endpoint that does not drain");
        }

        if (bytes > maxBytes * DegradedFraction)
        {
            return HealthCheckResult.Degraded(
                $"the transition history holds {bytes} of at most {maxBytes} bytes: a notification endpoint does not drain (see 'alertctl notifications')");
        }

        return HealthCheckResult.Healthy($"transition history: {count} events, {bytes} bytes");
    }
}
