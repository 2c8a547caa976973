using Alerting.Engine.Monitors;
using Alerting.Engine.Monitors.Query;

namespace Alerting.Engine.Tests.Monitors.Query;

public sealed class QueryFormatterTests
{
    [Theory]
    [InlineData(1_000, "last_1s")]
    [InlineData(90_000, "last_90s")]
    [InlineData(300_000, "last_5m")]
    [InlineData(5_400_000, "last_90m")]
    [InlineData(3_600_000, "last_1h")]
    [InlineData(129_600_000, "last_36h")]
    [InlineData(86_400_000, "last_1d")]
    [InlineData(172_800_000, "last_2d")]
    [InlineData(518_400_000, "last_6d")]
    [InlineData(604_800_000, "last_1w")]
    public void Windows_use_the_largest_unit_that_divides_exactly(long windowMs, string expected) =>
        Assert.Equal(expected, QueryFormatter.FormatWindow(windowMs));

    [Theory]
    [InlineData("avg( last_300s ) : avg : system.cpu.user { env:prod , !role:db } by { host } > 90.0",
        "avg(last_5m):avg:system.cpu.user{env:prod,!role:db} by {host} > 90")]
    [InlineData("pct_change(sum(last_60m),last_24h):max:m{*}<=-2.50e1",
        "pct_change(sum(last_1h),last_1d):max:m{*} <= -25")]
    [InlineData("count(last_1m):min:m{svc:web*,canary} >= .5", "count(last_1m):min:m{svc:web*,canary} >= 0.5")]
    [InlineData("last(last_1m):sum:m{*} < 1e21", "last(last_1m):sum:m{*} < 1E+21")]
    [InlineData(" \"datadog.agent.up\" . over ( \"*\" ) . by ( \"host\" , \"env\" ) . last ( 3 ) . count_by_status ( ) ",
        "\"datadog.agent.up\".over(\"*\").by(\"host\",\"env\").last(3).count_by_status()")]
    [InlineData("\"c\".over(\"env:prod\",\"!role:db\").last(1).count_by_status()",
        "\"c\".over(\"env:prod\",\"!role:db\").last(1).count_by_status()")]
    public void Formatting_a_parsed_query_gives_its_canonical_text(string text, string canonical)
    {
        MonitorQuery query = QueryParser.Parse(text);

        Assert.Equal(canonical, QueryFormatter.Format(query));
        Assert.Equal(canonical, query.ToString());
        Assert.Equal(query, QueryParser.Parse(canonical));
    }

    [Fact]
    public void Thresholds_keep_every_bit_of_the_double()
    {
        var query = new MetricQuery(
            TimeAggregation.Avg, 60_000, SpaceAggregation.Avg, "m", [TagFilter.Any], [], Comparator.Greater, 0.1 + 0.2);

        string text = QueryFormatter.Format(query);

        Assert.EndsWith("> 0.30000000000000004", text, StringComparison.Ordinal);
        Assert.Equal(0.1 + 0.2, Assert.IsType<MetricQuery>(QueryParser.Parse(text)).Threshold);
    }

    [Fact]
    public void Names_and_symbols_cover_every_enum_value()
    {
        Assert.All(Enum.GetValues<TimeAggregation>(), a => Assert.NotEmpty(QueryFormatter.Name(a)));
        Assert.All(Enum.GetValues<SpaceAggregation>(), a => Assert.NotEmpty(QueryFormatter.Name(a)));
        Assert.All(Enum.GetValues<Comparator>(), c => Assert.NotEmpty(QueryFormatter.Symbol(c)));
    }
}
