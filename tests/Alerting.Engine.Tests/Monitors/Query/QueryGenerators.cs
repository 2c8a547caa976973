using System.Collections.Immutable;
using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using CsCheck;

namespace Alerting.Engine.Tests.Monitors.Query;

/// <summary>CsCheck generators of valid query ASTs, covering every syntax element and the edges of each limit.</summary>
internal static class QueryGenerators
{
    private const string AsciiLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";

    // A few non-ASCII letters and digits: tags keep any script.
    private const string TagLetters = AsciiLetters + "éßЖλ";
    private const string TagKeyChars = TagLetters + Digits + "_-./";
    private const string TagValueChars = TagKeyChars + ":";

    private static readonly TimeAggregation[] SimpleTimeAggregations =
        [TimeAggregation.Avg, TimeAggregation.Sum, TimeAggregation.Min, TimeAggregation.Max, TimeAggregation.Last, TimeAggregation.Count];

    public static readonly Gen<string> TagKey =
        Gen.Select(Gen.Char[TagLetters], Gen.Char[TagKeyChars].Array[0, 8], (first, rest) => first + new string(rest));

    public static readonly Gen<string> TagValue = Gen.Char[TagValueChars].Array[1, 8].Select(chars => new string(chars));

    public static readonly Gen<TagFilter> Filter = Gen.OneOf(
        Gen.Select(TagKey, TagValue, TagFilter.Equal),
        Gen.Select(TagKey, TagValue, TagFilter.NotEqual),
        Gen.Select(TagKey, TagValue, TagFilter.Prefix),
        TagKey.Select(key => TagFilter.Prefix(key, string.Empty)),
        TagKey.Select(TagFilter.HasKey));

    public static readonly Gen<ImmutableArray<TagFilter>> Scope = Gen.Frequency(
        (1, Gen.Const(ImmutableArray.Create(TagFilter.Any))),
        (4, Filter.Array[1, 6].Select(filters => filters.ToImmutableArray())));

    public static readonly Gen<ImmutableArray<string>> GroupBy =
        TagKey.ArrayUnique[0, 4].Select(keys => keys.ToImmutableArray());

    public static readonly Gen<string> Metric = Gen.Select(
        Gen.Char[AsciiLetters],
        Gen.Char[AsciiLetters + Digits + "_."].Array[0, 24],
        (first, rest) => first + new string(rest));

    // Windows in whole units of each size, so the formatter's unit choice is exercised, plus the bounds.
    public static readonly Gen<long> WindowMs = Gen.OneOf(
        Gen.Long[1, 172_800].Select(s => s * 1_000),
        Gen.Long[1, 2_880].Select(m => m * 60_000),
        Gen.Long[1, 48].Select(h => h * 3_600_000),
        Gen.Long[1, 2].Select(d => d * 86_400_000),
        Gen.Const(QueryLimits.MinWindowMs),
        Gen.Const(QueryLimits.MaxWindowMs));

    public static readonly Gen<double> Threshold = Gen.OneOf(
        Gen.Int[-1_000, 1_000].Select(i => (double)i),
        Gen.Double[-1e6, 1e6],
        Gen.Double.Where(double.IsFinite),
        Gen.OneOf(0.0, -0.0, double.MaxValue, double.MinValue, double.Epsilon, 0.1));

    private static readonly Gen<(TimeAggregation Aggregation, TimeAggregation? Inner, long ShiftMs)> TimeAggregationGen = Gen.Frequency(
        (3, Gen.OneOf(SimpleTimeAggregations).Select(a => (a, (TimeAggregation?)null, 0L))),
        (1, Gen.Select(
            Gen.OneOf(TimeAggregation.Change, TimeAggregation.PctChange),
            Gen.OneOf(SimpleTimeAggregations),
            WindowMs,
            (a, inner, shift) => (a, (TimeAggregation?)inner, shift))));

    public static readonly Gen<MetricQuery> MetricQueryGen = Gen.Select(
        TimeAggregationGen,
        WindowMs,
        Gen.Enum<SpaceAggregation>(),
        Metric,
        Scope,
        GroupBy,
        Gen.Enum<Comparator>(),
        Threshold,
        (time, window, space, metric, scope, groupBy, comparator, threshold) =>
            new MetricQuery(time.Aggregation, window, space, metric, scope, groupBy, comparator, threshold, time.Inner, time.ShiftMs));

    public static readonly Gen<string> CheckName = Gen.Select(
        Gen.Char[AsciiLetters],
        Gen.Char[AsciiLetters + Digits + "_.-"].Array[0, 24],
        (first, rest) => first + new string(rest));

    public static readonly Gen<CheckQuery> CheckQueryGen = Gen.Select(
        CheckName,
        Scope,
        GroupBy,
        Gen.Int[1, QueryLimits.MaxCheckRuns],
        (name, over, groupBy, last) => new CheckQuery(name, over, groupBy, last));

    public static readonly Gen<MonitorQuery> Query = Gen.Frequency(
        (3, MetricQueryGen.Select(q => (MonitorQuery)q)),
        (1, CheckQueryGen.Select(q => (MonitorQuery)q)));
}
