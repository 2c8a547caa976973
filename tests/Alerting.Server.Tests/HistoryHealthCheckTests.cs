using Alerting.Server.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Alerting.Server.Tests;

public sealed class HistoryHealthCheckTests
{
    [Fact]
    public void Pending_events_dropped_by_the_byte_bound_make_the_node_unhealthy_with_the_reason()
    {
        var result = HistoryHealthCheck.Evaluate(count: 10, bytes: 900, maxBytes: 1000, overBoundBeforeIndex: 43, pendingDropped: 7);

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("dropped 7 event(s) a notification endpoint still waited for, up to log index 42", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_history_near_its_byte_bound_is_degraded_and_below_it_healthy()
    {
        Assert.Equal(HealthStatus.Degraded, HistoryHealthCheck.Evaluate(10, 801, 1000, 0, 0).Status);
        Assert.Equal(HealthStatus.Healthy, HistoryHealthCheck.Evaluate(10, 800, 1000, 0, 3).Status);
    }
}
