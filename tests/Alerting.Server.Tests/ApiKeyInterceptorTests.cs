using Alerting.Server.Security;

namespace Alerting.Server.Tests;

public sealed class ApiKeyInterceptorTests
{
    [Theory]
    [InlineData("/alerting.v1.Ingest/Write", ApiScopes.Ingest)]
    [InlineData("/alerting.v1.Ingest/WriteBatch", ApiScopes.Ingest)]
    [InlineData("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", ApiScopes.Ingest)]
    [InlineData("/alerting.v1.Monitors/Create", ApiScopes.Admin)]
    [InlineData("/alerting.v1.Monitors/Upsert", ApiScopes.Admin)]
    [InlineData("/alerting.v1.Monitors/Delete", ApiScopes.Admin)]
    [InlineData("/alerting.v1.Monitors/List", ApiScopes.Read)]
    [InlineData("/alerting.v1.Monitors/Validate", ApiScopes.Read)]
    [InlineData("/alerting.v1.Monitors/Backtest", ApiScopes.Read)]
    [InlineData("/alerting.v1.Downtimes/Create", ApiScopes.Admin)]
    [InlineData("/alerting.v1.Downtimes/List", ApiScopes.Read)]
    [InlineData("/alerting.v1.Alerts/Subscribe", ApiScopes.Read)]
    [InlineData("/alerting.v1.Cluster/Status", ApiScopes.Read)]
    [InlineData("/alerting.v1.Admin/SetEngineSettings", ApiScopes.Admin)]
    [InlineData("/alerting.v1.Admin/GetEngineSettings", ApiScopes.Read)]
    public void Definition_changes_need_admin_ingest_needs_ingest_and_the_rest_read(string method, ApiScopes scope)
    {
        Assert.Equal(scope, ApiKeyInterceptor.RequiredScope(method));
    }
}
