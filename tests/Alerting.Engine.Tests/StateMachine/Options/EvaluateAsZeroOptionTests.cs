using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>evaluate_as_zero: Datadog's "evaluate as zero" for count-like data without points in the window.</summary>
public sealed class EvaluateAsZeroOptionTests
{
    private const string FewRequests = "sum(last_1m):sum:q{*} < 1";

    [Theory]
    [InlineData(SeriesType.Count, true, true)]
    [InlineData(SeriesType.Rate, true, true)]
    [InlineData(SeriesType.Gauge, true, false)]
    [InlineData(SeriesType.Count, false, false)]
    public void A_count_or_rate_series_that_stops_reporting_is_zero_and_alerts_below_only_when_asked(SeriesType type, bool evaluateAsZero, bool alerts)
    {
        var s = Scenario.ForMetric(FewRequests, o => o.EvaluateAsZero = evaluateAsZero);
        Write(s, type, 5);
        s.Idle(s.Now + (30 * 1_000));
        Assert.Empty(s.Take());

        // The window (1 min, whole 15 s buckets) empties within 75 s of the last point.
        var emptiedBy = s.Now + (2 * Scenario.Minute);
        s.Idle(emptiedBy);

        var events = s.Take();
        if (alerts)
        {
            var alert = Assert.Single(events);
            Assert.Equal((Ok, Alert, 0.0), (alert.Previous, alert.Next, alert.Value));

            // Points again: the sum is theirs, and the group recovers.
            Write(s, type, 5);
            s.Evaluate();
            var recovery = Assert.Single(s.Take());
            Assert.Equal((Alert, Ok, 5.0), (recovery.Previous, recovery.Next, recovery.Value));
        }
        else
        {
            Assert.Empty(events);
            Assert.Equal(Ok, Assert.Single(s.Groups).State);
        }
    }

    [Fact]
    public void A_count_query_is_count_like_whatever_the_series_type()
    {
        var s = Scenario.ForMetric("count(last_1m):sum:q{*} < 1", o => o.EvaluateAsZero = true);
        Write(s, SeriesType.Gauge, 5);
        s.Idle(s.Now + (2 * Scenario.Minute));

        var alert = Assert.Single(s.Take());
        Assert.Equal((Alert, 0.0), (alert.Next, alert.Value));
    }

    [Fact]
    public void Zero_counts_as_a_full_window_so_require_full_window_does_not_hold_it_back()
    {
        var s = Scenario.ForMetric(FewRequests, o =>
        {
            o.EvaluateAsZero = true;
            o.RequireFullWindow = true;
        });
        Write(s, SeriesType.Count, 5);
        s.Idle(s.Now + (2 * Scenario.Minute));
        Assert.Equal(Alert, Assert.Single(s.Take()).Next);

        Assert.Equal(Alert, Assert.Single(s.Groups).State);
    }

    [Theory]
    [InlineData("check")]
    [InlineData("formula")]
    public void Is_refused_for_check_and_formula_monitors(string kind)
    {
        var engine = new EngineHarness();
        var monitor = kind == "check"
            ? new Monitor { Id = "c", Name = "c", Type = "check", Query = "\"app.ok\".over(\"*\").last(1).count_by_status()", Options = new MonitorOptions() }
            : EngineHarness.Metric("f", "sum(last_1m):sum:a{*} / sum:b{*} > 1");
        monitor.Options.EvaluateAsZero = true;

        var result = engine.Answer(new LogEntry { MonitorUpserted = new MonitorUpserted { Monitor = monitor } });

        Assert.Equal(Alerting.Engine.StateMachine.MonitorOutcome.Rejected, result.Monitor);
        Assert.Contains("evaluate_as_zero", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, engine.State.MonitorCount);
    }

    private static void Write(Scenario s, SeriesType type, double value)
    {
        var series = new SeriesPoints { Metric = Scenario.Metric, Type = type };
        series.UnixMs.Add(s.Now);
        series.Values.Add(value);
        s.Engine.Apply(new LogEntry { Points = new PointsBatch { Series = { series } } });
    }
}
