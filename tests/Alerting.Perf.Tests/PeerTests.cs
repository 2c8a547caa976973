namespace Alerting.Perf.Tests;

public sealed class PeerTests
{
    [Fact]
    public async Task Peer_skips_with_a_reason_when_prometheus_is_missing()
    {
        var (exit, report, output) = await HarnessRuns.RunAsync("peer", "--count", "10", "--prometheus-binary", "/nonexistent/prometheus");

        Assert.True(exit == PerfApp.Ok, output);
        Assert.Contains("peer: skipped: \"/nonexistent/prometheus\" is not installed", output, StringComparison.Ordinal);
        var result = Assert.Single(report!.Scenarios);
        Assert.Empty(result.Figures);
        Assert.Contains(result.Notes, n => n.StartsWith("skipped:", StringComparison.Ordinal));
    }

    [Fact]
    public void Rules_come_in_groups_of_a_thousand_one_per_host()
    {
        var rules = Scenarios.PeerScenario.Rules(2_500);

        Assert.Equal(3, rules.Split("  - name: g", StringSplitOptions.None).Length - 1);
        Assert.Equal(2_500, rules.Split("- alert: a", StringSplitOptions.None).Length - 1);
        Assert.Contains("expr: avg_over_time(perf_peer{host=\"h2499\"}[5m]) > 90", rules, StringComparison.Ordinal);
        var exposition = Scenarios.PeerScenario.Exposition(3);
        Assert.Equal("# TYPE perf_peer gauge\nperf_peer{host=\"h0\"} 0\nperf_peer{host=\"h1\"} 1\nperf_peer{host=\"h2\"} 2\n", exposition);
    }

    [Fact]
    public async Task Only_prometheus_is_a_peer()
    {
        var (exit, _, output) = await HarnessRuns.RunAsync("all", "--peer", "victoriametrics");

        Assert.Equal(PerfApp.CannotRun, exit);
        Assert.Contains("the only peer is prometheus", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_all_takes_the_peer_option()
    {
        var (exit, _, output) = await HarnessRuns.RunAsync("ingest", "--peer", "prometheus");

        Assert.Equal(PerfApp.CannotRun, exit);
        Assert.Contains("--peer", output, StringComparison.Ordinal);
    }
}
