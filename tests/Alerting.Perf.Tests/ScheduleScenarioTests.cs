using Alerting.Perf.Scenarios;
using CsCheck;

namespace Alerting.Perf.Tests;

/// <summary>The schedule scenario's arithmetic: the instants it says the schedule owes, and the mix of monitors it creates.</summary>
public sealed class ScheduleScenarioTests
{
    [Fact]
    public void Instants_between_two_times_match_a_walk_over_every_instant()
    {
        // CsCheck prints the failing case and its seed.
        var gen =
            from interval in Gen.Long[1, 10_000]
            from offset in Gen.Long[0, interval - 1]
            from fromMs in Gen.Long[-1_000_000, 1_000_000]
            from length in Gen.Long[-20, 100_000]
            select (Interval: interval, Offset: offset, From: fromMs, To: fromMs + length);
        gen.Sample(c =>
        {
            long walked = 0;
            var j = ((c.From - c.Offset) / c.Interval) - 2;
            for (var at = c.Offset + (j * c.Interval); at <= c.To; at += c.Interval)
            {
                if (at >= c.From)
                {
                    walked++;
                }
            }

            return ScheduleScenario.InstantsBetween(c.Offset, c.Interval, c.From, c.To) == walked;
        }, iter: 5_000, print: c => c.ToString());
    }

    [Fact]
    public void Instants_at_the_window_edges_are_owed()
    {
        Assert.Equal(2, ScheduleScenario.InstantsBetween(offsetMs: 5, intervalMs: 60_000, fromMs: 5, toMs: 60_005));
        Assert.Equal(1, ScheduleScenario.InstantsBetween(offsetMs: 5, intervalMs: 60_000, fromMs: 6, toMs: 60_005));
        Assert.Equal(0, ScheduleScenario.InstantsBetween(offsetMs: 5, intervalMs: 60_000, fromMs: 6, toMs: 60_004));
        Assert.Equal(0, ScheduleScenario.InstantsBetween(offsetMs: 5, intervalMs: 60_000, fromMs: 10, toMs: 9));
    }

    [Fact]
    public void The_mix_is_eight_single_series_one_multi_alert_and_one_on_arrival_in_every_ten()
    {
        var options = new RunOptions { Series = 1_000, IntervalSeconds = 60 };
        for (var k = 0; k < 10; k++)
        {
            var monitor = ScheduleScenario.MonitorOf(options, 990 + k);
            switch (k)
            {
                case 8:
                    // Monitor 998 groups rack 99 (hosts 990..999) by host.
                    Assert.Equal(ScheduleScenario.Kind.MultiAlert, ScheduleScenario.KindOf(990 + k));
                    Assert.Equal("avg(last_5m):avg:perf.ingest{rack:r99} by {host} > 90", monitor.Query);
                    Assert.False(monitor.Options.OnArrival);
                    break;
                case 9:
                    Assert.Equal(ScheduleScenario.Kind.OnArrival, ScheduleScenario.KindOf(990 + k));
                    Assert.Equal("avg(last_5m):avg:perf.ingest{host:h999} > 90", monitor.Query);
                    Assert.True(monitor.Options.OnArrival);
                    break;
                default:
                    Assert.Equal(ScheduleScenario.Kind.Single, ScheduleScenario.KindOf(990 + k));
                    Assert.Equal($"avg(last_5m):avg:perf.ingest{{host:h{990 + k}}} > 90", monitor.Query);
                    Assert.False(monitor.Options.OnArrival);
                    break;
            }

            Assert.Equal(60_000, monitor.Options.EvaluationIntervalMs);
        }
    }

    [Fact]
    public void Series_past_the_first_100_000_are_on_the_next_metric_with_their_rack()
    {
        var options = new RunOptions { Series = 1_000_000 };

        var multi = ScheduleScenario.MonitorOf(options, 123_458);

        // Rack 12 345 is hosts 123 450..123 459, all on the second metric.
        Assert.Equal("avg(last_5m):avg:perf.ingest.1{rack:r12345} by {host} > 90", multi.Query);
        Assert.Equal("rack:r12345", ScheduleScenario.RackTag(123_459));
        Assert.Equal("perf.ingest.1", options.MetricOf(IngestScenario.MetricBase, 123_459));
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(1_000, 95)]
    [InlineData(30, 95)]
    public void Expected_groups_count_each_multi_alert_monitor_s_hosts(int series, int monitors)
    {
        // Brute force: a multi-alert monitor holds a group per series carrying its rack tag.
        var options = new RunOptions { Series = series };
        long groups = 0;
        for (var k = 0; k < monitors; k++)
        {
            var monitor = ScheduleScenario.MonitorOf(options, k);
            if (ScheduleScenario.KindOf(k) != ScheduleScenario.Kind.MultiAlert)
            {
                groups++;
                continue;
            }

            for (var s = 0; s < series; s++)
            {
                if (monitor.Query.Contains("{" + ScheduleScenario.RackTag(s) + "}", StringComparison.Ordinal))
                {
                    groups++;
                }
            }
        }

        Assert.Equal(groups, ScheduleScenario.ExpectedGroups(options, monitors));
    }
}
