using Alerting.Engine.Pipeline;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Alerting.Server.Hosting;

/// <summary>
/// Readiness (<c>/readyz</c>, and <c>/healthz</c> as before): healthy when the state machine
/// answers a read within <see cref="ReadTimeout"/> (it is applying the log), degraded when the
/// input ring is full (the node sheds load) or the last snapshot failed (the reason is in the
/// description; it clears when a later snapshot succeeds), unhealthy when the node is faulted (it takes no
/// writes; the reason is in the description) or the read does not come back in time.
/// Liveness (<c>/livez</c>) runs no check: the process is up and answering.
/// </summary>
public sealed class EngineHealthCheck(EngineNode node) : IHealthCheck
{
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (node.Fault is { } fault)
        {
            return HealthCheckResult.Unhealthy($"not ready: {fault.Message}");
        }

        if (node.SnapshotFailure is { } snapshotFailure)
        {
            return HealthCheckResult.Degraded($"degraded: {snapshotFailure.Message}");
        }

        var read = node.TryQuery(state => state.AppliedIndex);
        if (read is null)
        {
            return HealthCheckResult.Degraded("the input ring is full");
        }

        try
        {
            var applied = await read.WaitAsync(ReadTimeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"applied {applied}, durable {node.DurableIndex}");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"the state machine did not answer within {ReadTimeout.TotalSeconds} s");
        }
    }
}
