using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>
/// Datadog v2 <c>notify_end_types</c> (expired, canceled) and <c>notify_end_states</c> (alert, no data,
/// warn): the end of a downtime notifies a group it covered that is still in one of those states.
/// </summary>
public sealed class DowntimeEndOptionTests
{
    private const string ByHost = "last(last_1m):avg:q{*} by {host} > 90";

    [Theory]
    [InlineData(95, true)]
    [InlineData(85, true)]
    [InlineData(50, false)]
    public void With_datadog_defaults_expiry_notifies_a_group_still_in_alert_or_warn(double value, bool notifies)
    {
        var engine = Engine();
        var end = engine.Now + 10_000;
        engine.Downtime(Defaults(new Downtime { Id = "d", Scope = { "host:a" }, StartUnixMs = engine.Now, EndUnixMs = end }));
        engine.Point("q", ["host:a"], engine.Now, value);
        engine.Events.Clear();

        engine.TickTo(end);

        Assert.Equal(notifies, engine.Events.Count == 1);
        if (notifies)
        {
            var e = engine.Events[0];
            Assert.Equal((TransitionReason.DowntimeEndedWhileAlerting, end, true), (e.Reason, e.TimeMs, e.Notify));
        }
    }

    [Fact]
    public void With_datadog_defaults_expiry_notifies_a_group_in_no_data()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.NotifyNoData = true;
            o.NoDataTimeframeMs = 60_000;
        }));
        var end = engine.Now + (5 * 60_000);
        engine.Downtime(Defaults(new Downtime { Id = "d", MonitorId = "m", StartUnixMs = engine.Now, EndUnixMs = end }));
        engine.Point("q", ["host:a"], engine.Now, 50);

        engine.TickTo(end);

        Assert.Equal([(Ok, NoData, false), (NoData, NoData, true)], engine.Events.Select(e => (e.Previous, e.Next, e.Notify)));
        Assert.Equal((TransitionReason.DowntimeEndedWhileAlerting, end), (engine.Events[1].Reason, engine.Events[1].TimeMs));
    }

    [Theory]
    [InlineData("expired", false)]
    [InlineData("canceled", true)]
    [InlineData("expired,canceled", true)]
    public void A_delete_notifies_only_when_canceled_is_among_the_end_types(string types, bool notifies)
    {
        foreach (var monitorId in new[] { "m", "" })
        {
            var engine = Engine();
            engine.Downtime(new Downtime
            {
                Id = "d", MonitorId = monitorId, Scope = { "host:a" }, StartUnixMs = engine.Now,
                NotifyEnd = new DowntimeNotifyEnd { Types_ = { types.Split(',') }, States = { "alert" } },
            });
            engine.Point("q", ["host:a"], engine.Now, 95);
            engine.Events.Clear();

            engine.Apply(new LogEntry { DowntimeDeleted = new DowntimeDeleted { DowntimeId = "d" } });
            engine.TickTo(engine.Now + 1_000);

            Assert.Equal(notifies, engine.Events.Count == 1);
            Assert.All(engine.Events, e => Assert.Equal(TransitionReason.DowntimeEndedWhileAlerting, e.Reason));
        }
    }

    [Fact]
    public void An_expiry_with_only_canceled_among_the_end_types_does_not_notify()
    {
        var engine = Engine();
        var end = engine.Now + 5_000;
        engine.Downtime(new Downtime
        {
            Id = "d", Scope = { "host:a" }, StartUnixMs = engine.Now, EndUnixMs = end,
            NotifyEnd = new DowntimeNotifyEnd { Types_ = { "canceled" }, States = { "alert", "warn", "no data" } },
        });
        engine.Point("q", ["host:a"], engine.Now, 95);
        engine.Events.Clear();

        engine.TickTo(end + 1_000);

        Assert.Empty(engine.Events);
        Assert.False(engine.State.Monitors.GroupStates("m")[0].Muted);
    }

    [Fact]
    public void End_states_filter_which_states_notify()
    {
        var engine = Engine();
        var end = engine.Now + 5_000;
        engine.Downtime(new Downtime
        {
            Id = "d", Scope = { "host:a" }, StartUnixMs = engine.Now, EndUnixMs = end,
            NotifyEnd = new DowntimeNotifyEnd { Types_ = { "expired" }, States = { "alert" } },
        });
        engine.Point("q", ["host:a"], engine.Now, 85);
        engine.Events.Clear();

        engine.TickTo(end + 1_000);

        Assert.Empty(engine.Events);
    }

    [Fact]
    public void An_empty_end_type_list_never_notifies_and_unknown_entries_are_refused()
    {
        var engine = Engine();
        var end = engine.Now + 5_000;
        engine.Downtime(new Downtime { Id = "d", Scope = { "host:a" }, StartUnixMs = engine.Now, EndUnixMs = end, NotifyEnd = new DowntimeNotifyEnd() });
        engine.Point("q", ["host:a"], engine.Now, 95);
        engine.Events.Clear();
        engine.TickTo(end + 1_000);
        Assert.Empty(engine.Events);

        var type = Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { Id = "x", NotifyEnd = new DowntimeNotifyEnd { Types_ = { "ended" } } }));
        Assert.Equal("notify_end_types", type.Field);
        var state = Assert.Throws<OptionValidationException>(() => DowntimeModel.FromProto(new Downtime { Id = "x", NotifyEnd = new DowntimeNotifyEnd { States = { "ok" } } }));
        Assert.Equal("notify_end_states", state.Field);
    }

    [Fact]
    public void Defaults_are_filled_only_when_the_downtime_says_nothing_about_its_end()
    {
        var bare = new Downtime { Id = "d" };
        DowntimeModel.FillNotifyEndDefaults(bare);
        Assert.Equal(["expired"], bare.NotifyEnd.Types_);
        Assert.Equal(["alert", "no data", "warn"], bare.NotifyEnd.States);

        var legacy = new Downtime { Id = "d", NotifyEndIfAlerting = true };
        DowntimeModel.FillNotifyEndDefaults(legacy);
        Assert.Null(legacy.NotifyEnd);

        var never = new Downtime { Id = "d", NotifyEnd = new DowntimeNotifyEnd() };
        DowntimeModel.FillNotifyEndDefaults(never);
        Assert.Empty(never.NotifyEnd.Types_);
    }

    private static EngineHarness Engine()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", ByHost, o =>
        {
            o.OnArrival = true;
            o.Thresholds = new Thresholds { Warning = 80 };
        }));
        return engine;
    }

    private static Downtime Defaults(Downtime downtime)
    {
        DowntimeModel.FillNotifyEndDefaults(downtime);
        return downtime;
    }
}
