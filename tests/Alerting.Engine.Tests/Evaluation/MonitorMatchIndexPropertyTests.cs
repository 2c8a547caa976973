using System.Collections.Immutable;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// The monitor match index against a brute-force scan: after any sequence of adds (in the lowest
/// free slot, as the registry reuses slots) and removes, a series' tags find exactly the monitors
/// of its source whose scope matches, in slot order.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class MonitorMatchIndexPropertyTests
{
    [Fact]
    public void Index_finds_exactly_the_monitors_a_scan_finds_in_slot_order()
    {
        var operation =
            from kind in Gen.Int[0, 9]
            from source in IndexGenerators.Source
            from scope in IndexGenerators.Scope
            from tags in IndexGenerators.Tags
            from pick in Gen.Int[0, 1_000]
            select new Operation(kind, source, scope, tags, pick);

        operation.Array[1, 120].Sample(Run, iter: 3_000, print: Print);
    }

    [Fact]
    public void Removed_monitors_leave_no_match_behind()
    {
        var index = new MonitorMatchIndex();
        index.Add("m|cpu", [TagFilter.Equal("host", "a")], 0);
        index.Add("m|cpu", [TagFilter.NotEqual("host", "b")], 1);
        var found = new List<int>();
        index.Matching("m|cpu", ["host:a"], found);
        Assert.Equal([0, 1], found);

        index.Remove(0);
        index.Remove(1);
        index.Matching("m|cpu", ["host:a"], found);
        Assert.Empty(found);
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Boolean_scope_is_filed_under_a_tag_every_match_needs_and_verified_after_lookup()
    {
        var index = new MonitorMatchIndex();
        var shared = Assert.IsType<MetricQuery>(QueryParser.Parse(
            "avg(last_5m):avg:cpu{(env:prod AND service:web) OR (service:api AND env:prod AND NOT host:a*)} > 1")).Scope;
        var unindexed = Assert.IsType<MetricQuery>(QueryParser.Parse("avg(last_5m):avg:cpu{env:prod OR host IN (a,b)} > 1")).Scope;
        var conjunct = Assert.IsType<MetricQuery>(QueryParser.Parse("avg(last_5m):avg:cpu{role:db AND (env:prod OR env:dev)} > 1")).Scope;
        index.Add("m|cpu", shared, 0);
        index.Add("m|cpu", unindexed, 1);
        index.Add("m|cpu", conjunct, 2);

        Assert.Equal("env:prod", index.FiledUnder(0));
        Assert.Null(index.FiledUnder(1));
        Assert.Equal("role:db", index.FiledUnder(2));

        var found = new List<int>();
        index.Matching("m|cpu", ["env:prod", "host:ab", "service:api"], found);
        Assert.Equal([1], found);
        index.Matching("m|cpu", ["env:prod", "host:c", "service:api"], found);
        Assert.Equal([0, 1], found);
        index.Matching("m|cpu", ["env:dev", "host:b", "role:db"], found);
        Assert.Equal([1, 2], found);
    }

    private static void Run(Operation[] operations)
    {
        var index = new MonitorMatchIndex();
        var model = new SortedDictionary<int, (string Source, ImmutableArray<TagFilter> Scope)>();
        var found = new List<int>();
        foreach (var op in operations)
        {
            var source = IndexGenerators.Sources[op.Source];
            if (op.Kind < 5)
            {
                var slot = 0;
                while (model.ContainsKey(slot))
                {
                    slot++;
                }

                index.Add(source, op.Scope, slot);
                model.Add(slot, (source, op.Scope));
            }
            else if (op.Kind < 7 && model.Count > 0)
            {
                var slot = model.Keys.ElementAt(op.Pick % model.Count);
                index.Remove(slot);
                model.Remove(slot);
            }

            index.Matching(source, op.Tags, found);
            var expected = model
                .Where(m => m.Value.Source == source && ScopeModel.Matches(m.Value.Scope, op.Tags))
                .Select(m => m.Key)
                .ToList();
            Assert.Equal(expected, found);
            Assert.Equal(model.Count, index.Count);
        }
    }

    private static string Print(Operation[] operations) =>
        string.Join("; ", operations.Select(op =>
            $"{op.Kind}:{IndexGenerators.Sources[op.Source]}:{IndexGenerators.Describe(op.Scope)}:[{string.Join(",", op.Tags)}]:{op.Pick}"));

    private sealed record Operation(int Kind, int Source, ImmutableArray<TagFilter> Scope, string[] Tags, int Pick);
}
