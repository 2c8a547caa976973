using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;
using Alerting.Engine.State;
using Alerting.Engine.Tests.Evaluation;
using Xunit.Abstractions;

namespace Alerting.Engine.Tests.StateMachine;

/// <summary>
/// Monitors with boolean scopes through log entries: whether the monitor comes before its series
/// (the match index) or after them (the stepped scan of the series index), it reads exactly the
/// series the naive model of its scope selects, and alerts on those only.
/// </summary>
public sealed class BooleanScopeMonitorTests
{
    private const string Query =
        "max(last_1m):max:cpu{env:prod AND (role IN (web, api) OR team:core-*) AND NOT host:*-canary} by {host} > 90";

    private static readonly string[] Envs = ["env:prod", "env:dev"];
    private static readonly string[] Roles = ["role:web", "role:api", "role:db"];
    private static readonly string[] Teams = ["team:core-a", "team:core", "team:edge"];

    private readonly ITestOutputHelper _output;

    public BooleanScopeMonitorTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Monitor_reads_the_series_its_scope_selects_whichever_comes_first(int seed)
    {
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var series = Enumerable.Range(0, 40).Select(i => RandomTags(random, i)).ToList();
        var scope = Assert.IsType<MetricQuery>(QueryParser.Parse(Query)).Scope;
        var expected = series
            .Where(tags => ScopeModel.Matches(scope, Alerting.Engine.Evaluation.SeriesIndex.NormalizeTags(tags)))
            .Select(tags => tags.Single(t => t.StartsWith("host:", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(expected);
        Assert.True(expected.Count < series.Count, "some series must be out of scope, or the test checks nothing");

        var monitorFirst = new EngineHarness(new IngestLimits { MatchStepSeries = 3 });
        monitorFirst.Upsert(EngineHarness.Metric("m", Query, o => o.EvaluationIntervalMs = 1_000));
        Write(monitorFirst, series, 95);

        var seriesFirst = new EngineHarness(new IngestLimits { MatchStepSeries = 3 });
        Write(seriesFirst, series, 95);
        seriesFirst.Upsert(EngineHarness.Metric("m", Query, o => o.EvaluationIntervalMs = 1_000));
        while (seriesFirst.State.MatchesPending > 0)
        {
            seriesFirst.Tick(seriesFirst.Now + 100);
        }

        foreach (var engine in new[] { monitorFirst, seriesFirst })
        {
            Write(engine, series, 95);
            engine.TickTo(engine.Now + 2_000);
            Assert.Equal(expected, engine.State.GroupStates("m").Select(g => g.State.GroupKey).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(expected, engine.Events.Where(e => e.Next == AlertState.Alert).Select(e => e.GroupKey).Order(StringComparer.Ordinal).ToList());
        }
    }

    private static string[] RandomTags(Random random, int i)
    {
        var tags = new List<string> { Envs[random.Next(Envs.Length)], $"host:h{i}" + (random.Next(4) == 0 ? "-canary" : string.Empty) };
        if (random.Next(3) > 0)
        {
            tags.Add(Roles[random.Next(Roles.Length)]);
        }

        if (random.Next(2) == 0)
        {
            tags.Add(Teams[random.Next(Teams.Length)]);
        }

        return [.. tags];
    }

    private static void Write(EngineHarness engine, List<string[]> series, double value)
    {
        foreach (var tags in series)
        {
            engine.Point("cpu", tags, engine.Now, value);
        }
    }
}
