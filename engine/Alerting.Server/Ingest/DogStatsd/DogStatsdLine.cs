using System.Globalization;

namespace Alerting.Server.Ingest.DogStatsd;

/// <summary>What a DogStatsD metric line measures.</summary>
public enum DogStatsdKind
{
    Gauge,
    Counter,

    /// <summary><c>ms</c>, <c>h</c> and <c>d</c>: samples summarised per flush interval.</summary>
    Timer,
}

/// <summary>
/// One parsed DogStatsD metric line: <c>name:value|type[|@sample_rate][|#tag:v,tag2:v]</c>.
/// Types <c>g</c>, <c>c</c>, <c>ms</c>, <c>h</c>, <c>d</c>; sets (<c>s</c>), events
/// (<c>_e{</c>), service checks (<c>_sc</c>), packed values (<c>name:1:2|d</c>) and bare tags are
/// not taken: such a line is bad and counted. Other <c>|</c> sections (<c>|T</c> timestamp,
/// <c>|c:</c> container) are ignored: the flush time stamps the aggregate.
/// </summary>
public readonly record struct DogStatsdLine(string Metric, double Value, DogStatsdKind Kind, double SampleRate, string[] Tags)
{
    /// <summary>Parses one line; false (and why) for a line that must be skipped.</summary>
    public static bool TryParse(ReadOnlySpan<char> line, out DogStatsdLine parsed, out string? error)
    {
        parsed = default;
        var colon = line.IndexOf(':');
        var bar = line.IndexOf('|');
        if (colon <= 0 || bar < colon)
        {
            error = "not name:value|type";
            return false;
        }

        var metric = line[..colon];
        if (metric.StartsWith("_e{") || metric.StartsWith("_sc"))
        {
            error = "events and service checks are not taken";
            return false;
        }

        if (!double.TryParse(line[(colon + 1)..bar], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            error = "the value is not a finite number";
            return false;
        }

        var rest = line[(bar + 1)..];
        var next = rest.IndexOf('|');
        var type = next < 0 ? rest : rest[..next];
        DogStatsdKind kind;
        switch (type)
        {
            case "g":
                kind = DogStatsdKind.Gauge;
                break;
            case "c":
                kind = DogStatsdKind.Counter;
                break;
            case "ms" or "h" or "d":
                kind = DogStatsdKind.Timer;
                break;
            default:
                error = $"type \"{type}\" is not taken (g, c, ms, h, d)";
                return false;
        }

        var rate = 1.0;
        var tags = Array.Empty<string>();
        while (next >= 0)
        {
            rest = rest[(next + 1)..];
            next = rest.IndexOf('|');
            var section = next < 0 ? rest : rest[..next];
            if (section.StartsWith("@"))
            {
                if (!double.TryParse(section[1..], NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || rate is not (> 0 and <= 1))
                {
                    error = "the sample rate must be in (0, 1]";
                    return false;
                }
            }
            else if (section.StartsWith("#"))
            {
                tags = section[1..].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
                foreach (var tag in tags)
                {
                    var at = tag.IndexOf(':', StringComparison.Ordinal);
                    if (at <= 0 || at == tag.Length - 1)
                    {
                        error = $"tag \"{tag}\" is not key:value";
                        return false;
                    }
                }

                Array.Sort(tags, StringComparer.Ordinal);
            }
        }

        parsed = new DogStatsdLine(metric.ToString(), value, kind, rate, tags);
        error = null;
        return true;
    }
}
