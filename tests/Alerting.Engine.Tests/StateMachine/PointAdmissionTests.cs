using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors;
using Alerting.Engine.Timing;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Admission before creation: a point refused for its time or value never creates a series.</summary>
public sealed class PointAdmissionTests
{
    [Fact]
    public void Points_refused_for_time_or_value_create_no_series_and_no_group()
    {
        var engine = new EngineHarness(new IngestLimits { MaxPointAgeMs = 60_000, MaxPointFutureMs = 10_000 });
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} by {host} > 10", o => o.OnArrival = true));

        engine.Point("q", ["host:old"], engine.Now - 60_001, 50);
        engine.Point("q", ["host:ahead"], engine.Now + 10_001, 50);
        engine.Point("q", ["host:nan"], engine.Now, double.NaN);

        Assert.Equal(0, engine.State.SeriesCount);
        Assert.Empty(engine.State.Monitors.GroupStates("m"));
        Assert.Equal(1, engine.State.Rejected(RejectReason.TooOld));
        Assert.Equal(1, engine.State.Rejected(RejectReason.TooFarInFuture));
        Assert.Equal(1, engine.State.Rejected(RejectReason.NotFinite));
    }

    [Fact]
    public void Refused_points_do_not_use_up_the_series_limit()
    {
        var engine = new EngineHarness(new IngestLimits { MaxSeriesPerMetric = 1, MaxPointAgeMs = 60_000 });
        engine.Point("q", ["host:stale"], engine.Now - 60_001, 1);
        engine.Point("q", ["host:live"], engine.Now, 1);

        Assert.Equal(1, engine.State.SeriesCount);
        Assert.Equal(0, engine.State.Rejected(RejectReason.SeriesPerMetricLimit));
        Assert.Equal(1, engine.State.Counters.PointsAccepted);
    }

    [Fact]
    public void A_series_with_one_admissible_point_is_created_and_the_others_are_counted()
    {
        var engine = new EngineHarness(new IngestLimits { MaxPointAgeMs = 60_000 });
        var series = new SeriesPoints { Metric = "q", Tags = { "host:a" } };
        series.UnixMs.Add([engine.Now - 60_001, engine.Now]);
        series.Values.Add([1, 2]);
        engine.Apply(new LogEntry { Points = new PointsBatch { Series = { series } } });

        Assert.Equal(1, engine.State.SeriesCount);
        Assert.Equal(1, engine.Applier.LastEntryRejections[(int)RejectReason.TooOld]);
        Assert.Equal(1, engine.State.Counters.PointsAccepted);
    }

    [Fact]
    public void The_age_and_future_limits_admit_their_own_edge_and_refuse_one_ms_past_it()
    {
        var clock = new LogicalClock();
        clock.AdvanceTo(EngineHarness.Start);
        var admission = new PointAdmission(new IngestLimits { MaxPointAgeMs = 60_000, MaxPointFutureMs = 10_000 }, clock);
        var tally = new long[RejectReasonNames.Count];

        Assert.True(admission.Admit(EngineHarness.Start - 60_000, 1, tally));
        Assert.False(admission.Admit(EngineHarness.Start - 60_001, 1, tally));
        Assert.True(admission.Admit(EngineHarness.Start + 10_000, 1, tally));
        Assert.False(admission.Admit(EngineHarness.Start + 10_001, 1, tally));
        Assert.False(admission.Admit(EngineHarness.Start, double.NegativeInfinity, tally));

        Assert.Equal([1L, 1L, 1L], new[] { tally[(int)RejectReason.NotFinite], tally[(int)RejectReason.TooOld], tally[(int)RejectReason.TooFarInFuture] });
        Assert.Equal(1, admission.Rejected(RejectReason.TooOld));
    }

    [Fact]
    public void Logical_time_never_goes_back()
    {
        var clock = new LogicalClock();
        clock.AdvanceTo(2_000);
        clock.AdvanceTo(1_000);
        Assert.Equal(2_000, clock.NowMs);
    }
}
