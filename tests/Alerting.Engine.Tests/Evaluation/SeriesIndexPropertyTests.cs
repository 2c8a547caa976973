using System.Collections.Immutable;
using Alerting.Engine.Evaluation;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Evaluation;

/// <summary>
/// The series index against a brute-force scan: a scope finds exactly the series of its source
/// that it matches, in creation order, whatever its filters.
/// </summary>
/// <remarks>CsCheck prints the failing seed; replay it by setting the <c>CsCheck_Seed</c> environment variable.</remarks>
public sealed class SeriesIndexPropertyTests
{
    [Fact]
    public void Index_finds_exactly_the_series_a_scan_finds_in_creation_order()
    {
        var operation =
            from create in Gen.Int[0, 2]
            from source in IndexGenerators.Source
            from tags in IndexGenerators.Tags
            from scope in IndexGenerators.Scope
            select new Operation(create > 0, source, tags, scope);

        operation.Array[1, 150].Sample(Run, iter: 3_000, print: Print);
    }

    [Fact]
    public void Series_ids_are_creation_order_and_keys_find_them()
    {
        var index = new SeriesIndex();
        var first = index.Create(isCheck: false, "cpu", ["host:a"]);
        var second = index.Create(isCheck: true, "cpu", ["host:a"]);
        Assert.Equal([0, 1], new[] { first.Id, second.Id });
        Assert.True(index.TryGet(isCheck: true, "cpu", ["host:a"], out var found));
        Assert.Same(second, found);
        Assert.Equal(1, index.CountOf(SeriesIndex.SourceKey(isCheck: false, "cpu")));
    }

    private static void Run(Operation[] operations)
    {
        var index = new SeriesIndex();
        var model = new List<(string Source, SeriesEntry Entry)>();
        var found = new List<SeriesEntry>();
        foreach (var op in operations)
        {
            var sourceKey = IndexGenerators.Sources[op.Source];
            var isCheck = sourceKey[0] == 'c';
            var source = sourceKey[2..];
            // Finding by name and tags agrees with a scan of the model.
            var known = model.Where(s => s.Source == sourceKey && s.Entry.Tags.SequenceEqual(op.Tags, StringComparer.Ordinal)).Select(s => s.Entry).SingleOrDefault();
            Assert.Equal(known is not null, index.TryGet(isCheck, source, op.Tags, out var found1));
            Assert.Same(known, found1);
            if (op.Create && known is null)
            {
                model.Add((sourceKey, index.Create(isCheck, source, op.Tags)));
            }

            index.Matching(sourceKey, op.Scope, found);
            var expected = model
                .Where(s => s.Source == sourceKey && ScopeModel.Matches(op.Scope, s.Entry.Tags))
                .Select(s => s.Entry.Id)
                .ToList();
            Assert.Equal(expected, found.Select(s => s.Id).ToList());
            Assert.Equal(model.Count, index.Count);
        }
    }

    private static string Print(Operation[] operations) =>
        string.Join("; ", operations.Select(op =>
            $"{(op.Create ? "+" : "?")}{IndexGenerators.Sources[op.Source]}[{string.Join(",", op.Tags)}]{IndexGenerators.Describe(op.Scope)}"));

    private sealed record Operation(bool Create, int Source, string[] Tags, ImmutableArray<TagFilter> Scope);
}
