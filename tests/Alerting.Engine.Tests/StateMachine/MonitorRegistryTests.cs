using Alerting.Engine.Monitors;
using Alerting.Engine.StateMachine;

namespace Alerting.Engine.Tests.StateMachine;

public sealed class MonitorRegistryTests
{
    [Fact]
    public void A_new_monitor_takes_the_lowest_free_slot_and_a_deleted_id_is_retired()
    {
        var registry = new MonitorRegistry();
        var a = Compile("a", "cpu");
        var b = Compile("b", "cpu");
        var c = Compile("c", "mem");
        registry.Register(a);
        registry.Register(b);
        registry.Register(c);
        registry.Remove(a);
        registry.Remove(b);

        var d = Compile("d", "disk");
        registry.Register(d);

        Assert.Equal(0, d.Slot);
        Assert.Equal(2, registry.Count);
        Assert.True(registry.IsRetired("a"));
        Assert.False(registry.Contains("a"));
        Assert.Throws<InvariantViolationException>(() => registry.Register(Compile("a", "again")));
    }

    [Fact]
    public void Names_find_the_monitor_in_the_lowest_slot_and_follow_renames()
    {
        var registry = new MonitorRegistry();
        var first = Compile("x", "shared");
        var second = Compile("y", "shared");
        registry.Register(first);
        registry.Register(second);
        Assert.Equal("x", registry.IdOfName("shared"));

        registry.Replace(first, Compile("x", "renamed"));

        Assert.Equal("y", registry.IdOfName("shared"));
        Assert.Equal("x", registry.IdOfName("renamed"));
    }

    [Fact]
    public void Fresh_ids_avoid_live_and_retired_ids()
    {
        var registry = new MonitorRegistry();
        var taken = Compile("7", "seven");
        registry.Register(taken);
        Assert.Equal("7-1", registry.FreshId(7));
        registry.Remove(taken);
        Assert.Equal("7-1", registry.FreshId(7));
        Assert.Equal("8", registry.FreshId(8));
    }

    private static CompiledMonitor Compile(string id, string name)
    {
        var definition = EngineHarness.Metric(id, "avg(last_1m):avg:cpu{*} > 1");
        definition.Name = name;
        return MonitorCompiler.Compile(definition);
    }
}
