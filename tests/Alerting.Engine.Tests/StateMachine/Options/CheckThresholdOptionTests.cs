using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// Datadog service-check thresholds (<c>check_thresholds: {critical, warning, ok, unknown}</c>): counts
/// of consecutive runs per series; a group's streaks hold only its own series' runs.
/// </summary>
public sealed class CheckThresholdOptionTests
{
    private const CheckStatus C = CheckStatus.Critical;
    private const CheckStatus W = CheckStatus.Warn;
    private const CheckStatus O = CheckStatus.Ok;
    private const CheckStatus U = CheckStatus.Unknown;

    [Fact]
    public void Alert_after_three_critical_runs_in_a_row_and_recover_after_two_ok_runs_in_a_row()
    {
        var engine = Engine("by(\"host\")", new CheckThresholds { Critical = 3, Warning = 1, Ok = 2 });

        var states = Runs(engine, "host:a", C, C, O, C, C, C, O, C, O, O);

        // CRITICAL counts toward the warning streak: the first run warns, the third in a row alerts;
        // an OK run short of two in a row holds the state, and only two OK runs in a row end the alert
        // (a CRITICAL run after one OK is a warning streak, not a way out of ALERT).
        Assert.Equal([Warn, Warn, Warn, Warn, Warn, Alert, Alert, Alert, Alert, Ok], states);
    }

    [Fact]
    public void A_warning_count_needs_that_many_warn_runs_in_a_row()
    {
        var engine = Engine("by(\"host\")", new CheckThresholds { Critical = 5, Warning = 2, Ok = 1 });

        Assert.Equal([Ok, Warn, Ok], Runs(engine, "host:a", W, W, O));
    }

    [Fact]
    public void Runs_of_several_hosts_in_one_group_do_not_interleave_their_streaks()
    {
        var engine = Engine("by(\"env\")", new CheckThresholds { Critical = 3, Warning = 3, Ok = 2 });
        string[] a = ["env:prod", "host:a"];
        string[] b = ["env:prod", "host:b"];

        for (var i = 0; i < 3; i++)
        {
            engine.Check("db.up", a, engine.Now, C);
            engine.Check("db.up", b, engine.Now, O);
        }

        Assert.Equal(Alert, engine.State.Monitors.GroupStates("c")[0].State);

        // host:b is fine, but host:a has one OK of the two it needs: the group holds ALERT.
        engine.Check("db.up", a, engine.Now, O);
        Assert.Equal(Alert, engine.State.Monitors.GroupStates("c")[0].State);
        engine.Check("db.up", a, engine.Now, O);
        Assert.Equal(Ok, engine.State.Monitors.GroupStates("c")[0].State);
    }

    [Fact]
    public void Unknown_runs_reaching_the_unknown_count_show_no_data_and_ok_runs_recover_it()
    {
        var engine = Engine("by(\"host\")", new CheckThresholds { Critical = 1, Ok = 1, Unknown = 2 });

        Assert.Equal([Ok, NoData, NoData, Ok], Runs(engine, "host:a", U, U, U, O));
        Assert.Equal((TransitionReason.NoData, TransitionReason.Recovered), (engine.Events[0].Reason, engine.Events[1].Reason));
    }

    [Fact]
    public void Without_an_unknown_count_unknown_runs_hold_the_state()
    {
        var engine = Engine("by(\"host\")", new CheckThresholds { Critical = 1, Ok = 1 });

        Assert.Equal([Alert, Alert, Alert, Ok], Runs(engine, "host:a", C, U, U, O));
    }

    [Fact]
    public void Check_thresholds_are_validated_and_belong_to_check_monitors()
    {
        var tooMany = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Compile(Monitor("by(\"host\")", new CheckThresholds { Critical = 101 })));
        Assert.Equal("options.check_thresholds.critical", tooMany.Field);

        var metric = EngineHarness.Metric("m", "avg(last_1m):avg:q{*} > 1", o => o.CheckThresholds = new CheckThresholds { Critical = 2 });
        Assert.Equal("options.check_thresholds", Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Compile(metric)).Field);

        // The window holds enough runs for the longest count, whatever last(n) says.
        Assert.Equal(7, MonitorCompiler.Compile(Monitor("by(\"host\")", new CheckThresholds { Critical = 3, Ok = 7 })).CheckRuns);
    }

    private static EngineHarness Engine(string by, CheckThresholds thresholds)
    {
        var engine = new EngineHarness();
        engine.Upsert(Monitor(by, thresholds));
        return engine;
    }

    private static Monitor Monitor(string by, CheckThresholds thresholds) => new()
    {
        Id = "c",
        Name = "c",
        Type = "check",
        Query = $"\"db.up\".over(\"*\").{by}.last(1).count_by_status()",
        Options = new MonitorOptions { OnArrival = true, CheckThresholds = thresholds },
    };

    /// <summary>Writes each run (one second apart) and returns the group's state after each.</summary>
    private static List<AlertState> Runs(EngineHarness engine, string host, params CheckStatus[] runs)
    {
        var states = new List<AlertState>();
        foreach (var status in runs)
        {
            engine.TickTo(engine.Now + 1_000);
            engine.Check("db.up", [host], engine.Now, status);
            states.Add(engine.State.Monitors.GroupStates("c")[0].State);
        }

        return states;
    }
}
