using Alerting.Engine.State;
using Alerting.Engine.StateMachine;
using Xunit.Abstractions;
using Monitor = Alerting.Protocol.Log.Monitor;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>Paged reads against the simple model: the whole list, filtered, in slot then group-key order. Seeded: a failing seed replays.</summary>
public sealed class PagedReadTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Paging_group_states_and_monitors_with_any_page_size_and_examine_limit_yields_the_whole_filtered_list_once(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var engine = new EngineHarness();
        for (var i = 0; i < 8; i++)
        {
            engine.Upsert(EngineHarness.Metric("m" + i, $"max(last_1m):max:q{i % 3}{{*}} by {{host}} > 10", o => o.OnArrival = true));
        }

        engine.Delete("m2");
        engine.Delete("m5");
        engine.Upsert(EngineHarness.Metric("late", "max(last_1m):max:q1{*} by {host} > 10", o => o.OnArrival = true));
        for (var i = 0; i < 60; i++)
        {
            engine.Point("q" + random.Next(3), ["host:h" + random.Next(40)], engine.Now, random.Next(2) == 0 ? 5 : 50);
        }

        var state = engine.State;
        for (var round = 0; round < 200; round++)
        {
            var pageSize = random.Next(1, 12);
            var examineLimit = random.Next(1, 30);
            var byteLimit = random.Next(2) == 0 ? long.MaxValue : random.Next(1, 400);
            AlertState? wanted = random.Next(3) switch { 0 => null, 1 => AlertState.Ok, _ => AlertState.Alert };
            var monitorId = random.Next(4) == 0 ? "m" + random.Next(8) : null;
            Func<GroupState, bool>? keep = wanted is { } w ? g => g.State == w : null;

            var model = state.GroupStates(monitorId).Where(g => keep is null || keep(g.State)).Select(g => (g.Monitor.Id, g.State.GroupKey)).ToList();
            var paged = new List<(string, string)>();
            ListPosition? position = new ListPosition(0, null);
            for (var pages = 0; position is { } from; pages++)
            {
                Assert.True(pages <= 1_000, $"round {round} (seed {seed}): paging makes progress");
                var page = new List<(Monitor Monitor, GroupState State)>();
                position = state.PageGroupStates(monitorId, keep, from, pageSize, examineLimit, page);
                Assert.True(page.Count <= pageSize);
                paged.AddRange(page.Select(g => (g.Monitor.Id, g.State.GroupKey)));
            }

            Assert.Equal(model, paged);

            var modelMonitors = state.MonitorDefinitions()
                .Where(m => m.Id != "m1")
                .Where(m => wanted is null || state.GroupStates(m.Id).Any(g => g.State.State == wanted))
                .Select(m => m.Id).ToList();
            var pagedMonitors = new List<string>();
            int? slot = 0;
            for (var pages = 0; slot is { } fromSlot; pages++)
            {
                Assert.True(pages <= 1_000, $"round {round} (seed {seed}): monitor paging makes progress");
                var page = new List<Monitor>();
                slot = state.PageMonitors(m => m.Id != "m1", wanted, fromSlot, pageSize, examineLimit, byteLimit, page);
                Assert.True(page.Count <= pageSize);
                Assert.True(page.Count <= 1 || page.Sum(m => m.CalculateSize()) <= byteLimit, $"round {round} (seed {seed}): a page of several monitors stays within {byteLimit} bytes");
                pagedMonitors.AddRange(page.Select(m => m.Id));
            }

            Assert.Equal(modelMonitors, pagedMonitors);
        }

        Assert.Contains(state.GroupStates(), g => g.Monitor.Id == "late");
        Assert.Equal(state.MonitorDefinitions().First(m => m.Id == "late").Id, state.MonitorIdOfName("late"));
        Assert.Null(state.MonitorIdOfName("m2"));
    }
}
