using Alerting.Engine.Monitors;
using Alerting.Engine.State;
using Alerting.Protocol.Log;
using static Alerting.Engine.State.AlertState;

namespace Alerting.Engine.Tests.StateMachine.Options;

/// <summary>Datadog <c>on_missing_data</c>: what an evaluation whose window holds no data does.</summary>
public sealed class OnMissingDataOptionTests
{
    private const string Query = "max(last_1m):max:q{*} by {host} > 90";

    [Theory]
    [InlineData("", new[] { Alert }, new[] { true })]
    [InlineData("default", new[] { Alert }, new[] { true })]
    [InlineData("show_no_data", new[] { Alert, NoData }, new[] { true, false })]
    [InlineData("show_and_notify_no_data", new[] { Alert, NoData }, new[] { true, true })]
    [InlineData("resolve", new[] { Alert, Ok }, new[] { true, true })]
    public void An_evaluation_without_data_follows_on_missing_data(string mode, AlertState[] states, bool[] notified)
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", Query, o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.OnMissingData = mode;
        }));
        var pointMs = engine.Now;
        engine.Point("q", ["host:a"], pointMs, 95);

        engine.TickTo(pointMs + (3 * 60_000));

        Assert.Equal(states, engine.Events.Select(e => e.Next));
        Assert.Equal(notified, engine.Events.Select(e => e.Notify));
        if (states.Length == 2)
        {
            // The first evaluation whose one-minute window no longer holds the point.
            Assert.InRange(engine.Events[1].TimeMs, pointMs + 60_000, pointMs + 70_000);
        }
    }

    [Fact]
    public void Data_coming_back_recovers_from_the_no_data_it_showed()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", Query, o =>
        {
            o.EvaluationIntervalMs = 10_000;
            o.OnMissingData = "show_no_data";
        }));
        engine.Point("q", ["host:a"], engine.Now, 50);
        engine.TickTo(engine.Now + (2 * 60_000));
        engine.Point("q", ["host:a"], engine.Now, 50);
        engine.TickTo(engine.Now + 10_000);

        Assert.Equal([(Ok, NoData, false), (NoData, Ok, true)], engine.Events.Select(e => (e.Previous, e.Next, e.Notify)));
    }

    [Theory]
    [InlineData("sometimes", false)]
    [InlineData("resolve", true)]
    public void On_missing_data_is_validated_and_replaces_notify_no_data(string mode, bool notifyNoData)
    {
        var monitor = EngineHarness.Metric("m", Query, o =>
        {
            o.OnMissingData = mode;
            o.NotifyNoData = notifyNoData;
        });

        var e = Assert.Throws<MonitorValidationException>(() => MonitorCompiler.Compile(monitor));
        Assert.Equal("options.on_missing_data", e.Field);
    }
}
