using Alerting.Protocol.Log;
using Alerting.Protocol.V1;
using Alerting.Server.Ingest;
using Grpc.Core;

namespace Alerting.Server.Tests;

public sealed class WriteRequestConverterTests
{
    [Fact]
    public void Points_of_one_series_are_grouped_whatever_the_tag_order_and_tags_are_sorted()
    {
        var request = new WriteRequest
        {
            Points =
            {
                new Point { Metric = "cpu", Tags = { "host:a", "env:prod" }, UnixMs = 1, Value = 1 },
                new Point { Metric = "cpu", Tags = { "env:prod", "host:a" }, UnixMs = 2, Value = 2 },
                new Point { Metric = "cpu", Tags = { "host:b" }, UnixMs = 3, Value = 3 },
            },
            CheckRuns = { new CheckRunInput { Check = "ping", Tags = { "z:1", "a:2" }, UnixMs = 4, Status = CheckStatus.Critical } },
        };

        var (points, checkRuns) = WriteRequestConverter.ToEntries(request, maxPointsPerRequest: 10);

        Assert.Equal(2, points!.Points.Series.Count);
        var first = points.Points.Series[0];
        Assert.Equal(["env:prod", "host:a"], first.Tags);
        Assert.Equal([1L, 2L], first.UnixMs);
        Assert.Equal([1.0, 2.0], first.Values);
        Assert.Equal(["a:2", "z:1"], Assert.Single(checkRuns!.CheckRuns.Runs).Tags);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Grouping_matches_a_model_keyed_by_the_joined_series_name(int seed)
    {
        // Random requests over few metrics, tags and types, so series repeat in every tag order;
        // the model groups by one joined string (metric, type, sorted tags) in first-seen order.
        var random = new Random(seed);
        string[] metrics = ["cpu", "mem", "cpu.user"];
        string[] tags = ["host:a", "host:b", "env:prod", "az:1", "env:dev"];
        MetricType[] types = [MetricType.Unspecified, MetricType.Gauge, MetricType.Count];
        for (var round = 0; round < 50; round++)
        {
            var request = new WriteRequest();
            var count = random.Next(1, 60);
            for (var i = 0; i < count; i++)
            {
                var point = new Point { Metric = metrics[random.Next(metrics.Length)], Type = types[random.Next(types.Length)], UnixMs = i, Value = i };
                point.Tags.AddRange(tags.OrderBy(_ => random.Next()).Take(random.Next(0, 4)));
                request.Points.Add(point);
            }

            var model = new List<(string Key, SeriesPoints Series)>();
            foreach (var point in request.Points)
            {
                var sorted = point.Tags.Order(StringComparer.Ordinal).ToArray();
                var key = point.Metric + "\0" + (int)point.Type + "\0" + string.Join('\0', sorted);
                var at = model.FindIndex(m => m.Key == key);
                if (at < 0)
                {
                    var series = new SeriesPoints { Metric = point.Metric, Type = (SeriesType)(int)point.Type };
                    series.Tags.AddRange(sorted);
                    model.Add((key, series));
                    at = model.Count - 1;
                }

                model[at].Series.UnixMs.Add(point.UnixMs);
                model[at].Series.Values.Add(point.Value);
            }

            var (entry, _) = WriteRequestConverter.ToEntries(request, maxPointsPerRequest: 100);

            Assert.True(model.Select(m => m.Series).SequenceEqual(entry!.Points.Series), $"seed {seed}, round {round}: the grouping differs from the model");
        }
    }

    [Fact]
    public void A_client_batch_names_its_part_on_each_entry_and_a_plain_one_names_none()
    {
        var both = new WriteRequest
        {
            ClientId = "ingester-7",
            Sequence = 42,
            Points = { new Point { Metric = "m", UnixMs = 1 } },
            CheckRuns = { new CheckRunInput { Check = "c", UnixMs = 1 } },
        };
        var checksOnly = new WriteRequest { ClientId = "ingester-7", Sequence = 43, CheckRuns = { new CheckRunInput { Check = "c", UnixMs = 1 } } };

        var (points, checkRuns) = WriteRequestConverter.ToEntries(both, 10);
        var (noPoints, onlyChecks) = WriteRequestConverter.ToEntries(checksOnly, 10);
        var (plain, _) = WriteRequestConverter.ToEntries(new WriteRequest { Points = { new Point { Metric = "m", UnixMs = 1 } } }, 10);

        Assert.Equal(new ClientBatch { ClientId = "ingester-7", Sequence = 42, Part = 0, Parts = 2 }, points!.Points.Client);
        Assert.Equal(new ClientBatch { ClientId = "ingester-7", Sequence = 42, Part = 1, Parts = 2 }, checkRuns!.CheckRuns.Client);
        Assert.Null(noPoints);
        Assert.Equal(new ClientBatch { ClientId = "ingester-7", Sequence = 43, Part = 0, Parts = 1 }, onlyChecks!.CheckRuns.Client);
        Assert.Null(plain!.Points.Client);
    }

    [Theory]
    [InlineData("", 3UL, "sequence: 3 given without client_id")]
    [InlineData("ingester", 0UL, "sequence: must be 1 or more")]
    [InlineData("ingester\n", 1UL, "client_id: must not contain control characters")]
    [InlineData("LONG", 1UL, "client_id: at most 128 characters, got 129")]
    public void A_malformed_client_identity_is_invalid_argument(string clientId, ulong sequence, string message)
    {
        var request = new WriteRequest { ClientId = clientId == "LONG" ? new string('x', 129) : clientId, Sequence = sequence, Points = { new Point { Metric = "m", UnixMs = 1 } } };

        var error = Assert.Throws<RpcException>(() => WriteRequestConverter.ToEntries(request, 10));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(message, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_metric_type_of_each_point_is_carried_into_the_log_entry_and_splits_runs_of_one_series()
    {
        var request = new WriteRequest
        {
            Points =
            {
                new Point { Metric = "requests", Tags = { "env:prod" }, UnixMs = 1, Value = 3, Type = MetricType.Count },
                new Point { Metric = "requests", Tags = { "env:prod" }, UnixMs = 2, Value = 4, Type = MetricType.Count },
                new Point { Metric = "requests", Tags = { "env:prod" }, UnixMs = 3, Value = 1.5, Type = MetricType.Rate },
                new Point { Metric = "cpu", UnixMs = 1, Value = 50 },
                new Point { Metric = "latency", UnixMs = 1, Value = 9, Type = MetricType.Distribution },
                new Point { Metric = "temp", UnixMs = 1, Value = 20, Type = MetricType.Gauge },
            },
        };

        var (points, _) = WriteRequestConverter.ToEntries(request, maxPointsPerRequest: 10);

        Assert.Equal(
            [("requests", SeriesType.Count, 2), ("requests", SeriesType.Rate, 1), ("cpu", SeriesType.Unspecified, 1), ("latency", SeriesType.Distribution, 1), ("temp", SeriesType.Gauge, 1)],
            points!.Points.Series.Select(s => (s.Metric, s.Type, s.Values.Count)));
    }

    [Fact]
    public void An_unknown_metric_type_is_invalid_argument_naming_the_point()
    {
        var request = new WriteRequest { Points = { new Point { Metric = "m", UnixMs = 1 }, new Point { Metric = "m", UnixMs = 1, Type = (MetricType)9 } } };

        var error = Assert.Throws<RpcException>(() => WriteRequestConverter.ToEntries(request, maxPointsPerRequest: 10));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("points[1].type: unknown metric type 9", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_without_check_runs_makes_no_check_runs_entry()
    {
        var (points, checkRuns) = WriteRequestConverter.ToEntries(new WriteRequest { Points = { new Point { Metric = "m", UnixMs = 1 } } }, 10);

        Assert.NotNull(points);
        Assert.Null(checkRuns);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "metric-too-long", "points[0].metric: at most 200" },
        { "tag-too-long", "points[0].tags[0]: at most 200" },
        { "too-many-tags", "points[0].tags: at most 64" },
        { "empty-tag-value", "points[0].tags[0]: \"host:\" must be \"key:value\"" },
        { "empty-check", "check_runs[0].check: must not be empty" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Each_shape_limit_is_invalid_argument_naming_the_field(string shape, string expected)
    {
        var point = new Point { Metric = "cpu", UnixMs = 1, Value = 1 };
        var request = new WriteRequest { Points = { point } };
        switch (shape)
        {
            case "metric-too-long":
                point.Metric = new string('m', WriteRequestConverter.MaxNameLength + 1);
                break;
            case "tag-too-long":
                point.Tags.Add("k:" + new string('v', WriteRequestConverter.MaxTagLength));
                break;
            case "too-many-tags":
                point.Tags.AddRange(Enumerable.Range(0, WriteRequestConverter.MaxTagsPerPoint + 1).Select(i => $"k{i}:v"));
                break;
            case "empty-tag-value":
                point.Tags.Add("host:");
                break;
            case "empty-check":
                request.CheckRuns.Add(new CheckRunInput { Check = string.Empty });
                break;
        }

        var error = Assert.Throws<RpcException>(() => WriteRequestConverter.ToEntries(request, 100));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> ControlCharacters => new()
    {
        { "metric", "cpu\0user", "points[3].metric: must not contain control characters" },
        { "tag-key", "ho\u001bst:a", "points[3].tags[1]: must not contain control characters" },
        { "tag-value", "host:a\nb", "points[3].tags[1]: must not contain control characters" },
        { "tag-c1", "host:a\u0085", "points[3].tags[1]: must not contain control characters" },
        { "check", "ping\0", "check_runs[1].check: must not contain control characters" },
        { "check-tag", "host:\u007f", "check_runs[1].tags[1]: must not contain control characters" },
    };

    [Theory]
    [MemberData(nameof(ControlCharacters))]
    public void A_control_character_in_a_name_or_tag_is_invalid_argument_naming_the_field_path(string where, string text, string expected)
    {
        var request = new WriteRequest();
        for (var i = 0; i < 4; i++)
        {
            var point = new Point { Metric = "cpu", Tags = { "env:prod", "host:a" }, UnixMs = 1, Value = 1 };
            if (i == 3 && where == "metric")
            {
                point.Metric = text;
            }
            else if (i == 3 && where.StartsWith("tag", StringComparison.Ordinal))
            {
                point.Tags[1] = text;
            }

            request.Points.Add(point);
        }

        for (var i = 0; i < 2; i++)
        {
            var run = new CheckRunInput { Check = "ping", Tags = { "env:prod", "host:a" }, UnixMs = 1 };
            if (i == 1 && where == "check")
            {
                run.Check = text;
            }
            else if (i == 1 && where == "check-tag")
            {
                run.Tags[1] = text;
            }

            request.CheckRuns.Add(run);
        }

        var error = Assert.Throws<RpcException>(() => WriteRequestConverter.ToEntries(request, 100));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith(expected, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_and_tags_of_any_script_without_control_characters_are_accepted()
    {
        var request = new WriteRequest
        {
            Points = { new Point { Metric = "température.cœur", Tags = { "hôte:服务器-😀", "env:prod" }, UnixMs = 1, Value = 1 } },
            CheckRuns = { new CheckRunInput { Check = "проверка", Tags = { "zone:東京" }, UnixMs = 1 } },
        };

        var (points, checkRuns) = WriteRequestConverter.ToEntries(request, 100);

        Assert.Equal("température.cœur", Assert.Single(points!.Points.Series).Metric);
        Assert.Equal("проверка", Assert.Single(checkRuns!.CheckRuns.Runs).Check);
    }
}
