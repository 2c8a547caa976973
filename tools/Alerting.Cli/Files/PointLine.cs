using System.Globalization;
using Alerting.Protocol.V1;

namespace Alerting.Cli.Files;

/// <summary>
/// The line format of <c>alertctl write</c>: <c>metric{tag:value,...} value [unix_ms]</c>.
/// No braces means no tags; a missing timestamp means now. Blank lines and lines starting
/// with <c>#</c> carry no point.
/// </summary>
internal static class PointLine
{
    /// <summary>Longest line accepted; a longer one is almost certainly not a point.</summary>
    public const int MaxLineLength = 8_192;

    /// <summary>
    /// Parses one line. Returns false with <paramref name="error"/> when the line is malformed,
    /// and true with a null <paramref name="point"/> when it is blank or a comment.
    /// </summary>
    public static bool TryParse(string line, long nowUnixMs, out Point? point, out string error)
    {
        ArgumentNullException.ThrowIfNull(line);
        point = null;
        error = "";
        string text = line.Trim();
        if (text.Length == 0 || text[0] == '#')
        {
            return true;
        }

        if (text.Length > MaxLineLength)
        {
            error = $"line is longer than {MaxLineLength} characters";
            return false;
        }

        int nameEnd = 0;
        while (nameEnd < text.Length && text[nameEnd] != '{' && !char.IsWhiteSpace(text[nameEnd]))
        {
            nameEnd++;
        }

        var parsed = new Point { Metric = text[..nameEnd] };
        if (parsed.Metric.Length == 0)
        {
            error = "missing metric name (expected: metric{tag:value,...} value [unix_ms])";
            return false;
        }

        int rest = nameEnd;
        if (rest < text.Length && text[rest] == '{')
        {
            int close = text.IndexOf('}', rest);
            if (close < 0)
            {
                error = "unclosed '{' in the tag list";
                return false;
            }

            foreach (string tag in text[(rest + 1)..close].Split(',', StringSplitOptions.TrimEntries))
            {
                if (tag.Length == 0)
                {
                    error = "empty tag in the tag list";
                    return false;
                }

                parsed.Tags.Add(tag);
            }

            rest = close + 1;
        }

        string[] fields = text[rest..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0)
        {
            error = $"missing value after '{text[..rest]}'";
            return false;
        }

        if (fields.Length > 2)
        {
            error = $"unexpected '{fields[2]}' after the timestamp";
            return false;
        }

        if (!double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            error = $"value '{fields[0]}' is not a finite number";
            return false;
        }

        parsed.Value = value;
        parsed.UnixMs = nowUnixMs;
        if (fields.Length == 2)
        {
            if (!long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long unixMs))
            {
                error = $"timestamp '{fields[1]}' is not a whole number of Unix milliseconds";
                return false;
            }

            parsed.UnixMs = unixMs;
        }

        point = parsed;
        return true;
    }
}
