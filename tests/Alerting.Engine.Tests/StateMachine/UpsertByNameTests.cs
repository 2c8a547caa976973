using Alerting.Engine.StateMachine;
using Alerting.Protocol.Log;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class UpsertByNameTests
{
    [Fact]
    public void Upsert_without_id_creates_with_the_log_index_as_id_then_updates_then_reports_unchanged()
    {
        var engine = new EngineHarness();
        var definition = EngineHarness.Metric(string.Empty, "max(last_1m):max:q{*} > 10");
        definition.Name = "disk full";

        var createdAt = engine.LastIndex + 1;
        var created = engine.Applier.Apply(createdAt, 1, Upsert(definition));
        Assert.Equal((MonitorOutcome.Created, createdAt.ToString(System.Globalization.CultureInfo.InvariantCulture)), (created.Monitor, created.MonitorId));

        var unchanged = engine.Applier.Apply(createdAt + 1, 1, Upsert(definition));
        Assert.Equal((MonitorOutcome.Unchanged, created.MonitorId), (unchanged.Monitor, unchanged.MonitorId));

        definition.Query = "max(last_1m):max:q{*} > 20";
        var updated = engine.Applier.Apply(createdAt + 2, 1, Upsert(definition));
        Assert.Equal((MonitorOutcome.Updated, created.MonitorId), (updated.Monitor, updated.MonitorId));
        Assert.Equal(1, engine.State.MonitorCount);
    }

    [Fact]
    public void An_invalid_definition_comes_back_rejected_with_the_field_and_reason()
    {
        var engine = new EngineHarness();
        var result = engine.Applier.Apply(engine.LastIndex + 1, 1, Upsert(EngineHarness.Metric("m", "avg(last_5m):avg:q{*} 90")));

        Assert.Equal(MonitorOutcome.Rejected, result.Monitor);
        Assert.StartsWith("query: expected comparator", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_an_unknown_monitor_reports_not_found()
    {
        var engine = new EngineHarness();
        var result = engine.Applier.Apply(engine.LastIndex + 1, 1, new LogEntry { MonitorDeleted = new MonitorDeleted { MonitorId = "nope" } });

        Assert.Equal(MonitorOutcome.NotFound, result.Monitor);
    }

    [Fact]
    public void A_deleted_monitor_id_is_never_reused_so_transition_ids_stay_unique()
    {
        var engine = new EngineHarness();
        engine.Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10"));
        engine.Delete("m");

        var again = engine.Applier.Apply(engine.LastIndex + 1, 1, Upsert(EngineHarness.Metric("m", "max(last_1m):max:q{*} > 10")));

        Assert.Equal(MonitorOutcome.Rejected, again.Monitor);
        Assert.Contains("never reused", again.Error, StringComparison.Ordinal);
        Assert.Equal(0, engine.State.MonitorCount);
    }

    [Fact]
    public void A_server_assigned_id_steps_around_an_explicit_id_that_took_the_same_text()
    {
        var engine = new EngineHarness();
        var next = engine.LastIndex + 2;
        engine.Upsert(EngineHarness.Metric(next.ToString(System.Globalization.CultureInfo.InvariantCulture), "max(last_1m):max:q{*} > 10"));
        var byName = EngineHarness.Metric(string.Empty, "max(last_1m):max:q{*} > 10");
        byName.Name = "by name";

        var created = engine.Applier.Apply(next, 1, Upsert(byName));

        Assert.Equal((MonitorOutcome.Created, $"{next}-1"), (created.Monitor, created.MonitorId));
        Assert.Equal(2, engine.State.MonitorCount);
    }

    private static LogEntry Upsert(Protocol.Log.Monitor monitor) => new() { MonitorUpserted = new MonitorUpserted { Monitor = monitor.Clone() } };
}
