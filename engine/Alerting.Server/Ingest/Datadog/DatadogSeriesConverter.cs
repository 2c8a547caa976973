using System.Globalization;
using System.Text.Json;
using Alerting.Protocol.V1;

namespace Alerting.Server.Ingest.Datadog;

/// <summary>
/// Maps Datadog's metric intake JSON onto our <see cref="WriteRequest"/>.
/// <list type="bullet">
/// <item><c>/api/v2/series</c>: <c>{"series":[{"metric","type","interval","points":[{"timestamp","value"}],"tags","resources":[{"type":"host","name"}]}]}</c>.
/// <c>type</c> 0 (unspecified) and 3 (gauge) are <c>GAUGE</c>, 1 (count) <c>COUNT</c>, 2 (rate) <c>RATE</c>.</item>
/// <item><c>/api/v1/series</c>: <c>{"series":[{"metric","type":"gauge|count|rate","interval","points":[[ts, value]],"host","tags"}]}</c>.</item>
/// </list>
/// Timestamps are unix seconds. <c>interval</c> (seconds) is what a count or rate covers, as in
/// Datadog: a count is the occurrences in the interval (the <c>COUNT</c> delta), a rate is
/// already per second over it (the <c>RATE</c> value); it must not be negative. A host
/// (v2 resource of type <c>host</c>, v1 <c>host</c>) becomes the tag <c>host:name</c>. Datadog
/// also takes bare tags (<c>canary</c>): they have no value, which our tags need, so they are left
/// out. Shape errors are INVALID_ARGUMENT naming the field (<c>series[2].points[0].value</c>).
/// </summary>
public static class DatadogSeriesConverter
{
    public static WriteRequest FromV2(JsonElement root) => Convert(root, v2: true);

    public static WriteRequest FromV1(JsonElement root) => Convert(root, v2: false);

    private static WriteRequest Convert(JsonElement root, bool v2)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("series", out var series) || series.ValueKind != JsonValueKind.Array)
        {
            throw HttpIngest.Invalid("series: the body must be an object with a \"series\" array");
        }

        var write = new WriteRequest();
        var i = 0;
        foreach (var one in series.EnumerateArray())
        {
            var at = $"series[{i++}]";
            if (one.ValueKind != JsonValueKind.Object)
            {
                throw HttpIngest.Invalid($"{at}: must be an object");
            }

            var metric = String(one, "metric", at) ?? throw HttpIngest.Invalid($"{at}.metric: required");
            var type = v2 ? V2Type(one, at) : V1Type(one, at);
            if (one.TryGetProperty("interval", out var interval) && interval.ValueKind != JsonValueKind.Null && (!interval.TryGetInt64(out var seconds) || seconds < 0))
            {
                throw HttpIngest.Invalid($"{at}.interval: a whole number of seconds, at least 0");
            }

            var tags = new List<string>();
            if (one.TryGetProperty("tags", out var tagArray) && tagArray.ValueKind == JsonValueKind.Array)
            {
                foreach (var tag in tagArray.EnumerateArray())
                {
                    var text = tag.GetString() ?? "";
                    var colon = text.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0 && colon < text.Length - 1)
                    {
                        tags.Add(text);
                    }
                }
            }

            var host = v2 ? V2Host(one) : String(one, "host", at);
            if (!string.IsNullOrEmpty(host))
            {
                tags.Add("host:" + host);
            }

            if (!one.TryGetProperty("points", out var points) || points.ValueKind != JsonValueKind.Array)
            {
                throw HttpIngest.Invalid($"{at}.points: required, an array");
            }

            var p = 0;
            foreach (var point in points.EnumerateArray())
            {
                var pointAt = $"{at}.points[{p++}]";
                var (timestamp, value) = v2 ? V2Point(point, pointAt) : V1Point(point, pointAt);
                var converted = new Point { Metric = metric, UnixMs = timestamp * 1000, Value = value, Type = type };
                converted.Tags.AddRange(tags);
                write.Points.Add(converted);
            }
        }

        return write;
    }

    private static string? String(JsonElement obj, string name, string at)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw HttpIngest.Invalid($"{at}.{name}: must be a string");
    }

    private static MetricType V2Type(JsonElement one, string at)
    {
        if (!one.TryGetProperty("type", out var type) || type.ValueKind == JsonValueKind.Null)
        {
            return MetricType.Gauge;
        }

        return type.TryGetInt32(out var code) ? code switch
        {
            0 or 3 => MetricType.Gauge,
            1 => MetricType.Count,
            2 => MetricType.Rate,
            _ => throw HttpIngest.Invalid($"{at}.type: 0 (unspecified), 1 (count), 2 (rate) or 3 (gauge), got {code}"),
        }
        : throw HttpIngest.Invalid($"{at}.type: 0 (unspecified), 1 (count), 2 (rate) or 3 (gauge)");
    }

    private static MetricType V1Type(JsonElement one, string at) => String(one, "type", at) switch
    {
        null or "gauge" => MetricType.Gauge,
        "count" => MetricType.Count,
        "rate" => MetricType.Rate,
        var other => throw HttpIngest.Invalid($"{at}.type: \"gauge\", \"count\" or \"rate\", got \"{other}\""),
    };

    private static string? V2Host(JsonElement one)
    {
        if (!one.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var resource in resources.EnumerateArray())
        {
            if (resource.ValueKind == JsonValueKind.Object
                && resource.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "host"
                && resource.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                return name.GetString();
            }
        }

        return null;
    }

    private static (long Seconds, double Value) V2Point(JsonElement point, string at)
    {
        if (point.ValueKind != JsonValueKind.Object)
        {
            throw HttpIngest.Invalid($"{at}: must be {{\"timestamp\": seconds, \"value\": number}}");
        }

        return (Seconds(point.TryGetProperty("timestamp", out var t) ? t : default, at + ".timestamp"), Number(point.TryGetProperty("value", out var v) ? v : default, at + ".value"));
    }

    private static (long Seconds, double Value) V1Point(JsonElement point, string at)
    {
        if (point.ValueKind != JsonValueKind.Array || point.GetArrayLength() != 2)
        {
            throw HttpIngest.Invalid($"{at}: must be [seconds, value]");
        }

        return (Seconds(point[0], at + "[0]"), Number(point[1], at + "[1]"));
    }

    private static long Seconds(JsonElement value, string at)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds) && seconds is >= 0 and < 1e11)
        {
            return (long)seconds;
        }

        throw HttpIngest.Invalid($"{at}: unix seconds, a non-negative number");
    }

    private static double Number(JsonElement value, string at) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number)
            ? number
            : throw HttpIngest.Invalid($"{at}: a number, got {(value.ValueKind == JsonValueKind.Undefined ? "nothing" : value.GetRawText().ToString(CultureInfo.InvariantCulture))}");
}
