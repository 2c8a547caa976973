using Alerting.Engine.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Alerting.Server.Hosting;

/// <summary>
/// The transition history against its byte bound: unhealthy while events a notification endpoint
/// still waited for have been dropped and the outbox has not passed them (those notifications are
/// lost, see <c>alerting.history.pending_dropped</c>); degraded above <see cref="DegradedFraction"/>
/// of the bound (a stuck endpoint is holding events). Reads the history's own counters, not the
/// state-machine thread.
/// </summary>
public sealed class HistoryHealthCheck(EngineNode node) : IHealthCheck
{
    /// <summary>Share of <c>TransitionHistory.MaxBytes</c> above which the node reports degraded.</summary>
    public const double DegradedFraction = 0.8;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var history = node.History;
        var bytes = history.Bytes;
        var max = history.MaxBytes;
        if (history.OverBoundBeforeIndex is > 0 and var before)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"the transition history reached its byte bound ({max} bytes) and dropped {history.PendingDropped} event(s) still pending for a notification endpoint, up to log index {before - 1}; check 'alertctl notifications' for the endpoint that is not draining"));
        }

        if (bytes > max * DegradedFraction)
        {
            return Task.FromResult(HealthCheckResult.Degraded(
                $"the transition history holds {bytes} of at most {max} bytes: a notification endpoint is not draining (see 'alertctl notifications')"));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"history {history.Count} events, {bytes} bytes"));
    }
}
