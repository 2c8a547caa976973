namespace Alerting.Perf.Tests;

/// <summary>A run that loses acknowledged data fails, however fast it was.</summary>
public sealed class AccountingTests
{
    [Fact]
    public async Task A_harness_that_drops_acks_fails_the_run()
    {
        var (exit, report, output) = await HarnessRuns.RunAsync("ingest", "--seconds", "2", "--warmup", "1", "--rate", "4000", "--series", "200", "--streams", "2", "--batch", "100", "--drop-acks-every", "5");

        Assert.True(exit == PerfApp.ChecksFailed, output);
        var result = Assert.Single(report!.Scenarios);
        Assert.False(result.Passed);
        var acks = result.Checks.Single(c => c.Name.StartsWith("every batch acknowledged", StringComparison.Ordinal));
        Assert.False(acks.Passed, acks.Detail);
        var server = result.Checks.Single(c => c.Name.StartsWith("server's accepted count", StringComparison.Ordinal));
        Assert.False(server.Passed, server.Detail);
        Assert.Contains("FAILED", output, StringComparison.Ordinal);
    }
}
