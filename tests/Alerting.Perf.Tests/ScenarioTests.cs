namespace Alerting.Perf.Tests;

/// <summary>Every scenario at tiny scale against a real server process, with its checks.</summary>
public sealed class ScenarioTests
{
    public static TheoryData<string, string[], string> Tiny => new()
    {
        { "ingest", ["--seconds", "2", "--warmup", "1", "--rate", "4000", "--series", "300", "--streams", "2", "--batch", "100", "--monitors", "30", "--interval", "5"], "M1.ack.p99" },
        { "ingest", ["--cluster", "--seconds", "2", "--warmup", "1", "--rate", "4000", "--series", "300", "--streams", "2", "--batch", "100", "--monitors", "30", "--interval", "5"], "M1.ack.p99" },
        { "latency", ["--samples", "20", "--sample-rate", "50"], "M2.p99" },
        { "matching", ["--count", "300", "--batch", "100", "--metrics", "distinct"], "B6.new_series" },
        { "memory", ["--count", "300", "--batch", "500"], "M6.rss_total" },
        { "recovery", ["--count", "200", "--crash"], "M5.serving" },
        { "failover", ["--trials", "2"], "M4.max" },
        { "schedule", ["--count", "50", "--interval", "1", "--seconds", "4", "--warmup", "1", "--rate", "2000", "--series", "50", "--batch", "100", "--streams", "1"], "M3.evaluations" },
        { "stall", ["--series", "1000", "--monitors", "20", "--samples", "40", "--sample-rate", "50", "--batch", "100", "--streams", "1"], "STALL.p99" },
    };

    [Theory]
    [MemberData(nameof(Tiny))]
    public async Task Scenario_runs_and_every_check_passes(string scenario, string[] args, string figure)
    {
        var (exit, report, output) = await HarnessRuns.RunAsync([scenario, .. args]);

        Assert.True(exit == PerfApp.Ok, output);
        Assert.NotNull(report);
        var result = Assert.Single(report.Scenarios);
        Assert.Equal(scenario, result.Scenario);
        Assert.NotEmpty(result.Checks);
        Assert.All(result.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.Contains(result.Figures, f => f.Id == figure && f.Value > 0);
        Assert.Equal(Environment.ProcessorCount, report.Cores);
        Assert.True(report.MemoryBytes > 0);
    }

    [Fact]
    public async Task Ramp_steps_up_until_a_step_misses_the_bar_and_reports_the_last_that_held()
    {
        // Two steps at most, 2 000 then 4 000 points/s. Whether each step holds depends on the
        // machine; what must hold: step 2 runs only if step 1 held, the best rate is the last
        // step that held (0 if none), and every step's acks are checked.
        var (exit, report, output) = await HarnessRuns.RunAsync("ingest", "--ramp", "--ramp-steps", "2", "--ramp-factor", "2", "--warmup", "1", "--seconds", "1", "--rate", "2000", "--series", "100", "--streams", "1", "--batch", "100");

        Assert.True(exit == PerfApp.Ok, output);
        var result = Assert.Single(report!.Scenarios);
        bool Held(int step) =>
            result.Figures.Single(f => f.Id == $"M1.ramp.{step}.ack.p99").Value <= 10
            && result.Figures.Single(f => f.Id == $"M1.ramp.{step}.throughput").Value >= 0.99 * result.Figures.Single(f => f.Id == $"M1.ramp.{step}.offered").Value;
        Assert.Equal(2000, result.Figures.Single(f => f.Id == "M1.ramp.1.offered").Value);
        var ranStep2 = result.Figures.Any(f => f.Id == "M1.ramp.2.offered");
        Assert.Equal(Held(1), ranStep2);
        var best = result.Figures.Single(f => f.Id == "M1.ramp.best").Value;
        var expected = !Held(1) ? 0 : Held(2) ? 4000 : 2000;
        Assert.Equal(expected, best);
        Assert.Contains(result.Checks, c => c.Name.StartsWith("step 1 (2,000 points/s): every batch acknowledged", StringComparison.Ordinal) && c.Passed);
        Assert.All(result.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
    }

    [Fact]
    public async Task Peer_runs_at_tiny_scale_against_a_real_prometheus()
    {
        // Debian's prometheus, as the remote_write interop test uses (CI installs it with
        // tests/Alerting.Notifications.Tests/install-alertmanager.sh): 20 rules every second on
        // both sides, measured over 2 s after a full round.
        const string binary = "/usr/bin/prometheus";
        Assert.True(File.Exists(binary), $"{binary} is not installed: run tests/Alerting.Notifications.Tests/install-alertmanager.sh (it installs Debian's prometheus too)");

        var (exit, report, output) = await HarnessRuns.RunAsync("peer", "--count", "20", "--interval", "1", "--seconds", "2", "--warmup", "0", "--batch", "100", "--prometheus-binary", binary);

        Assert.True(exit == PerfApp.Ok, output);
        var result = Assert.Single(report!.Scenarios);
        Assert.All(result.Checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
        Assert.True(result.Figures.Single(f => f.Id == "P1.prometheus.evals_per_s").Value > 0, output);
        Assert.True(result.Figures.Single(f => f.Id == "P1.engine.evals_per_s").Value > 0, output);
        // Prometheus's CPU counter moves in steps of 10 ms, so over 2 s at this scale it may not
        // move at all: then the ratio is 0 and a note says it was not measured.
        var prometheusCpu = result.Figures.Single(f => f.Id == "P1.prometheus.cpu_per_eval").Value;
        var ratio = result.Figures.Single(f => f.Id == "P1.ratio").Value;
        if (prometheusCpu > 0)
        {
            Assert.True(ratio > 0, output);
        }
        else
        {
            Assert.Equal(0, ratio);
            Assert.Contains(result.Notes, n => n.Contains("not measured", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Warm_up_acks_are_checked_but_not_measured()
    {
        // 1 s of warm-up then 2 s measured, at 2 000 points/s in batches of 100: 60 batches sent
        // and checked, only the 40 of the measured window in the latency figures.
        var (exit, report, output) = await HarnessRuns.RunAsync("ingest", "--warmup", "1", "--seconds", "2", "--rate", "2000", "--series", "100", "--streams", "1", "--batch", "100");

        Assert.True(exit == PerfApp.Ok, output);
        var result = Assert.Single(report!.Scenarios);
        Assert.Equal(40, result.Figures.Single(f => f.Id == "M1.ack.count").Value);
        Assert.Equal(2, result.Figures.Single(f => f.Id == "M1.window").Value);
        Assert.Contains(result.Checks, c => c.Name == "every batch acknowledged, in order" && c.Passed && c.Detail.StartsWith("60 acks for 60 batches", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Schedule_counts_evaluations_the_interval_owes()
    {
        // 50 monitors every 1 s for about 4 s: the server's counter must show them (none missed).
        var (exit, report, output) = await HarnessRuns.RunAsync("schedule", "--count", "50", "--interval", "1", "--seconds", "4", "--warmup", "1", "--rate", "1000", "--series", "50", "--batch", "100", "--streams", "1");

        Assert.True(exit == PerfApp.Ok, output);
        var result = Assert.Single(report!.Scenarios);
        var done = result.Figures.Single(f => f.Id == "M3.evaluations").Value;
        var owed = result.Figures.Single(f => f.Id == "M3.owed").Value;
        Assert.True(owed >= 50, $"owed {owed}");
        Assert.True(done >= owed, $"done {done}, owed {owed}");
        var owedAtMost = result.Figures.Single(f => f.Id == "M3.owed_at_most").Value;
        Assert.True(done <= owedAtMost, $"done {done}, owed at most {owedAtMost}");
        Assert.Contains(result.Checks, c => c.Name == "the server holds the groups the mix makes" && c.Passed);
        Assert.Contains(result.Figures, f => f.Id == "M3.rss.end" && f.Value > 0);
        Assert.Contains(result.Figures, f => f.Id == "M3.create.rate" && f.Value > 0);

        // Lateness now comes from the server's histogram: a figure for the window, at most the
        // open bucket's lower bound (the quantile is interpolated inside the buckets).
        var p50 = result.Figures.Single(f => f.Id == "M3.lateness_p50").Value;
        var p99 = result.Figures.Single(f => f.Id == "M3.lateness_p99").Value;
        Assert.InRange(p50, 0, 10_000);
        Assert.InRange(p99, p50, 10_000);
        Assert.Contains(result.Checks, c => c.Name.Contains("lateness histogram", StringComparison.Ordinal) && c.Passed);
    }

    [Fact]
    public async Task Recovery_needs_its_own_server()
    {
        var (exit, _, output) = await HarnessRuns.RunAsync("recovery", "--target", "http://127.0.0.1:1", "--target-http", "http://127.0.0.1:2");

        Assert.Equal(PerfApp.CannotRun, exit);
        Assert.Contains("drop --target", output, StringComparison.Ordinal);
    }
}

/// <summary>--target: the harness measures a server it did not start, and may do so repeatedly.</summary>
public sealed class TargetTests
{
    [Fact]
    public async Task Two_runs_against_one_running_server_both_pass()
    {
        var data = Directory.CreateTempSubdirectory("alerting-perf-target-").FullName;
        try
        {
            await using var server = await ServerProcess.StartAsync(ServerProcess.ResolveDll(null), data, CancellationToken.None);
            string[] args = ["matching", "--count", "100", "--batch", "50", "--target", server.Grpc.ToString(), "--target-http", server.Http.ToString()];

            var first = await HarnessRuns.RunAsync(args);
            var second = await HarnessRuns.RunAsync(args);

            Assert.True(first.Exit == PerfApp.Ok, first.Output);
            Assert.True(second.Exit == PerfApp.Ok, second.Output);
            // Without a per-run scope the second run's monitor names would clash (AlreadyExists) and its series would not be new.
            Assert.Equal(server.Grpc.ToString(), Assert.Single(second.Report!.Scenarios).Parameters["server"]);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
